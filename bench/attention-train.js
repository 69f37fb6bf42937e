#!/usr/bin/env node
'use strict';
/**
 * 'attention' type training through the kernel vs tfjs (LSTM_FORECAST_KERNEL=tfjs), in one process,
 * alternating (a round of each path in turn, so load changes hit both): seconds per epoch and the
 * network's own losses epoch by epoch (train and validation MSE on scaled targets, before any base is
 * chosen), on monthly CO2 (window 36, horizon 12, the pack's default attention model and training options
 * but the epoch cap and patience below). Prints a table and the load average.
 *
 *   npm run build && node bench/attention-train.js [--rounds 2] [--epochs 10] [--seed 0]
 */
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { co2Dataset } = require('../test/helpers/co2-fixture');

const CORE = path.join(__dirname, '..', 'nodes', 'core');

async function main() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '2' },
      epochs: { type: 'string', default: '10' },
      seed: { type: 'string', default: '0' },
    },
  });
  const [rounds, epochs, seed] = [values.rounds, values.epochs, values.seed].map(Number);
  const warn = console.warn;
  console.warn = (...a) => (String(a[0]).startsWith('Orthogonal initializer') ? undefined : warn(...a));
  const { initBackend } = require(path.join(CORE, 'base/backend'));
  const { trainForecaster } = require(path.join(CORE, 'train/trainer'));
  const info = await initBackend();
  const data = co2Dataset(36, 12);
  const env = process.env.LSTM_FORECAST_KERNEL;
  const runs = { tfjs: [], kernel: [] };
  for (let r = 0; r < rounds; r++) {
    for (const p of r % 2 ? ['kernel', 'tfjs'] : ['tfjs', 'kernel']) {
      if (p === 'tfjs') process.env.LSTM_FORECAST_KERNEL = 'tfjs';
      else delete process.env.LSTM_FORECAST_KERNEL;
      const { artifact } = await trainForecaster(
        data,
        { type: 'attention', seed },
        { epochs, patience: epochs, name: 'bench' },
      );
      const rep = artifact.report;
      runs[p].push({ secondsPerEpoch: rep.trainSeconds / rep.epochs, history: rep.history });
      console.log(`round ${r + 1} ${p}: ${(rep.trainSeconds / rep.epochs).toFixed(2)} s/epoch`);
    }
  }
  if (env === undefined) delete process.env.LSTM_FORECAST_KERNEL;
  else process.env.LSTM_FORECAST_KERNEL = env;
  const [t, k] = [runs.tfjs[0].history, runs.kernel[0].history];
  const rel = (a, b) => Math.abs(a - b) / Math.abs(b);
  console.log(`\nco2_monthly, ${data.inputs.length} windows, attention seed ${seed}, backend ${info.name}\n`);
  console.log('| epoch | tfjs loss | kernel loss | tfjs val loss | kernel val loss |');
  console.log('|---|---|---|---|---|');
  t.forEach((h, i) =>
    console.log(
      `| ${h.epoch} | ${h.loss.toPrecision(5)} | ${k[i].loss.toPrecision(5)} | ` +
        `${h.valLoss.toPrecision(5)} | ${k[i].valLoss.toPrecision(5)} |`,
    ),
  );
  const med = (xs) => {
    const s = xs.slice().sort((a, b) => a - b);
    return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
  };
  const sT = med(runs.tfjs.map((x) => x.secondsPerEpoch));
  const sK = med(runs.kernel.map((x) => x.secondsPerEpoch));
  const worst = Math.max(...t.map((h, i) => Math.max(rel(k[i].loss, h.loss), rel(k[i].valLoss, h.valLoss))));
  console.log(
    `\ns/epoch (median of ${rounds} rounds): tfjs ${sT.toFixed(2)}, kernel ${sK.toFixed(2)}, ${(sT / sK).toFixed(1)}x`,
  );
  console.log(`largest relative difference of a loss, kernel vs tfjs: ${worst.toExponential(2)}`);
  console.log(
    `load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
