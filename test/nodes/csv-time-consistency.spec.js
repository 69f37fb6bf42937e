'use strict';
// The same CSV must give the same timestamps through the CLI's core path and
// through a flow, on any machine: the flow runs in a child process under a
// non-UTC TZ, where a parser that reads zone-less date-times as local time
// would shift every flow timestamp by the zone's offset.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { parseCsv } = require('../../nodes/core/data/csv');
const { seriesFromTable } = require('../../nodes/core/analysis/evaluate');
const { ROWS, WINDOW, HORIZON, csvText } = require('../helpers/csv-time-flow');

const script = path.join(__dirname, '../helpers/csv-time-flow.js');

function runFlowIn(tz) {
  const out = execFileSync(process.execPath, [script], { env: { ...process.env, TZ: tz }, encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `the flow script printed no RESULT line:\n${out}`);
  return JSON.parse(line.slice('RESULT '.length));
}

describe('one CSV, the CLI path and a flow', function () {
  this.timeout(60000);

  const expected = Array.from({ length: ROWS }, (_, i) => Date.UTC(2020, 0, 1, i));

  it('the CLI path reads the zone-less date-times as UTC', function () {
    const table = parseCsv(csvText());
    assert.equal(table.rows.length, ROWS);
    assert.equal(table.rows[0][0], '2020-01-01 00:00');
    assert.deepEqual(seriesFromTable(table, { target: 'value', time: 'time' }).timestamps, expected);
  });

  for (const [tz, offset] of [
    ['America/New_York', 300],
    ['Asia/Kolkata', -330],
  ]) {
    it(`gives identical timestamps through the CLI path and a Node-RED flow under TZ=${tz}`, function () {
      const r = runFlowIn(tz);
      assert.equal(r.localOffsetMin, offset, 'the child really runs in that zone');
      assert.deepEqual(r.cli, expected, 'CLI path (parseCsv + seriesFromTable)');
      assert.deepEqual(r.column, expected, 'CLI path (timeColumn)');
      assert.deepEqual(r.csvFirstRow, { time: '2020-01-01 00:00', value: 1.5 }, "the csv node's rows");
      assert.equal(r.csvNode.count, ROWS - WINDOW - HORIZON + 1);
      assert.deepEqual(r.csvNode.times, r.cli, 'csv node -> batch windower');
      assert.equal(r.objects.count, ROWS - WINDOW - HORIZON + 1);
      assert.deepEqual(r.objects.times, r.cli, 'row objects -> batch windower');
      assert.equal(r.stream.count, ROWS - WINDOW + 1);
      assert.deepEqual(r.stream.times, r.cli, 'msg.timestamp -> stream windower');
    });
  }
});
