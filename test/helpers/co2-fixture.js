'use strict';
// Monthly CO2 (Mauna Loa) from vega-datasets, contiguous monthly segment from
// 1964-05-01 (the file has gaps before that), cut into sliding windows.
const fs = require('fs');
const path = require('path');

function co2Series() {
  const file = path.join(__dirname, '..', '..', 'node_modules', 'vega-datasets', 'data', 'co2-concentration.csv');
  const rows = fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  const start = rows.findIndex((r) => r[0] === '1964-05-01');
  if (start < 0) throw new Error('1964-05-01 not found in co2-concentration.csv');
  const out = [];
  for (let i = start; i < rows.length; i++) {
    const [date, co2] = rows[i];
    if (out.length) {
      // stop at the first gap: the next row must be the next month
      const prev = new Date(out[out.length - 1].date + 'T00:00:00Z');
      const d = new Date(date + 'T00:00:00Z');
      const months = (d.getUTCFullYear() - prev.getUTCFullYear()) * 12 + d.getUTCMonth() - prev.getUTCMonth();
      if (months !== 1) break;
    }
    out.push({ date, co2: Number(co2) });
  }
  return out;
}

/** Sliding windows (stride 1) of `window` rows x 1 feature (co2) and `horizon` targets. */
function co2Dataset(window, horizon, limit) {
  let s = co2Series().map((r) => r.co2);
  if (limit) s = s.slice(0, limit);
  const inputs = [];
  const targets = [];
  for (let o = window; o + horizon <= s.length; o++) {
    inputs.push(s.slice(o - window, o).map((v) => [v]));
    targets.push(s.slice(o, o + horizon).map((v) => [v]));
  }
  return { inputs, targets, features: ['co2'], target: 'co2', window, horizon, step: 30 * 86400000, series: 'co2' };
}

module.exports = { co2Series, co2Dataset };
