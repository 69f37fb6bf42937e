'use strict';
// Reads one CSV of zone-less date-times both ways a user can: the core path the
// CLI uses (parseCsv + seriesFromTable) and a real Node-RED flow (Node-RED's csv
// node and hand-built row objects into a batch sequence-windower, and the rows
// one by one into a stream windower as msg.timestamp). Run as a script it prints
// one line, RESULT {...}, with the timestamps of every path, so a spec can run
// it under a chosen TZ: the paths must agree whatever the machine's zone.
const path = require('node:path');

const ROWS = 36;
const WINDOW = 4;
const HORIZON = 2;

/** The CSV text: a header and ROWS hourly readings from 2020-01-01 00:00, no zone offset. */
function csvText() {
  const lines = ['time,value'];
  for (let i = 0; i < ROWS; i++) {
    const t = new Date(Date.UTC(2020, 0, 1, i));
    lines.push(`${t.toISOString().slice(0, 10)} ${t.toISOString().slice(11, 16)},${(1.5 + 0.25 * i).toFixed(2)}`);
  }
  return lines.join('\n') + '\n';
}

/** Every distinct timestamp of some windows, in time order. */
function timesOf(lists) {
  return [...new Set(lists.flat())].sort((a, b) => a - b);
}

async function run() {
  const root = path.join(__dirname, '../..');
  const { parseCsv, timeColumn } = require(path.join(root, 'nodes/core/data/csv'));
  const { seriesFromTable } = require(path.join(root, 'nodes/core/analysis/evaluate'));
  const { helper, startRuntime, stopRuntime, nextMessage, collect } = require('./runtime');
  const text = csvText();
  const table = parseCsv(text);
  const cli = seriesFromTable(table, { target: 'value', time: 'time' }).timestamps;
  const column = timeColumn(table, 'time');

  const csvNode = require(
    path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core/parsers/70-CSV.js'),
  );
  const windowerNode = require(path.join(root, 'nodes/sequence-windower.js'));
  const batch = { type: 'sequence-windower', mode: 'batch', window: WINDOW, horizon: HORIZON, stride: 1 };
  const flow = [
    {
      id: 'csvIn',
      type: 'csv',
      spec: 'rfc',
      sep: ',',
      hdrin: true,
      hdrout: 'none',
      multi: 'mult',
      ret: '\\n',
      temp: '',
      skip: '0',
      strings: true,
      wires: [['wCsv', 'csvOut']],
    },
    { id: 'wCsv', ...batch, wires: [[], ['dsCsv']] },
    { id: 'wObj', ...batch, wires: [[], ['dsObj']] },
    {
      id: 'wStream',
      type: 'sequence-windower',
      mode: 'stream',
      window: WINDOW,
      horizon: 0,
      stride: 1,
      wires: [['fcStream'], []],
    },
    { id: 'csvOut', type: 'helper' },
    { id: 'dsCsv', type: 'helper' },
    { id: 'dsObj', type: 'helper' },
    { id: 'fcStream', type: 'helper' },
  ];
  await startRuntime([csvNode, windowerNode], flow);
  try {
    const csvRows = nextMessage(helper.getNode('csvOut'));
    const viaCsvNode = nextMessage(helper.getNode('dsCsv'));
    helper.getNode('csvIn').receive({ payload: text });
    const csvFirstRow = (await csvRows).payload[0];
    const csvDataset = (await viaCsvNode).payload;

    // The rows as the csv node delivers them: strings for times, numbers for values.
    const rows = table.rows.map(([time, value]) => ({ time, value: Number(value) }));
    const viaObjects = nextMessage(helper.getNode('dsObj'));
    helper.getNode('wObj').receive({ payload: rows });
    const objDataset = (await viaObjects).payload;

    const streamed = collect(helper.getNode('fcStream'));
    const wStream = helper.getNode('wStream');
    for (const r of rows) wStream.receive({ payload: r.value, timestamp: r.time });
    const until = Date.now() + 10000;
    while (streamed.length < ROWS - WINDOW + 1 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));

    const datasetTimes = (d) => ({ count: d.count, times: timesOf([...d.timestamps, ...d.targetTimestamps]) });
    return {
      tz: process.env.TZ,
      // Local midnight minus UTC midnight: non-zero proves the zone is in force.
      localOffsetMin: new Date(2020, 0, 1).getTimezoneOffset(),
      cli,
      column,
      csvFirstRow,
      csvNode: datasetTimes(csvDataset),
      objects: datasetTimes(objDataset),
      stream: { count: streamed.length, times: timesOf(streamed.map((m) => m.payload.timestamps)) },
    };
  } finally {
    await stopRuntime();
  }
}

module.exports = { ROWS, WINDOW, HORIZON, csvText };

if (require.main === module) {
  run().then(
    (r) => {
      process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err) => {
      process.stderr.write(`${err.stack || err}\n`);
      process.exit(1);
    },
  );
}
