'use strict';
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const vm = require('node:vm');
const { parseTime, iso } = require('../../../nodes/core/base/time');

const timeModule = require.resolve('../../../nodes/core/base/time');

describe('core: time', function () {
  it('reads finite numbers and numeric strings as epoch ms', function () {
    assert.equal(parseTime(1700000000000), 1700000000000);
    assert.equal(parseTime(-1.5), -1.5);
    assert.equal(parseTime(0), 0);
    assert.equal(parseTime('1700000000000'), 1700000000000);
    assert.equal(parseTime(' 1700000000000 '), 1700000000000);
    assert.equal(parseTime('-1500'), -1500);
    assert.equal(parseTime('+12.5'), 12.5);
    assert.equal(parseTime('.5'), 0.5);
    assert.equal(parseTime('1.7e12'), 1.7e12);
    assert.equal(parseTime('17E+11'), 1.7e12);
  });

  it('reads valid Dates, also Dates from another realm (a function node sandbox)', function () {
    assert.equal(parseTime(new Date(Date.UTC(2020, 3, 1))), Date.UTC(2020, 3, 1));
    assert.equal(parseTime(vm.runInNewContext('new Date(Date.UTC(2020, 3, 1, 13))')), Date.UTC(2020, 3, 1, 13));
  });

  it('reads ISO 8601 dates and date-times, zone-less ones as UTC', function () {
    const cases = [
      ['2020-04-01', Date.UTC(2020, 3, 1)],
      ['2020-04-01T13:00', Date.UTC(2020, 3, 1, 13)],
      ['2020-04-01 13:00', Date.UTC(2020, 3, 1, 13)],
      ['2020-04-01T13:00:59', Date.UTC(2020, 3, 1, 13, 0, 59)],
      ['2020-04-01 13:00:00.5', Date.UTC(2020, 3, 1, 13, 0, 0, 500)],
      ['2020-04-01T13:00:00.123456', Date.UTC(2020, 3, 1, 13, 0, 0, 123)],
      ['2020-04-01T13:00Z', Date.UTC(2020, 3, 1, 13)],
      ['2020-04-01t13:00:00z', Date.UTC(2020, 3, 1, 13)],
      ['2020-04-01T13:00:00+02:00', Date.UTC(2020, 3, 1, 11)],
      ['2020-04-01T13:00:00+0200', Date.UTC(2020, 3, 1, 11)],
      ['2020-04-01T13:00:00.250-05:30', Date.UTC(2020, 3, 1, 18, 30, 0, 250)],
      ['2020-02-29', Date.UTC(2020, 1, 29)],
      ['2020-12-31T24:00', Date.UTC(2021, 0, 1)],
      ['0050-06-01', new Date('0050-06-01T00:00:00Z').getTime()],
      ['  2020-04-01  ', Date.UTC(2020, 3, 1)],
    ];
    for (const [text, want] of cases) assert.equal(parseTime(text), want, text);
  });

  it('returns undefined for anything that is not a time', function () {
    const rejected = [
      'yesterday',
      '',
      '   ',
      '2020/04/01',
      '01.04.2020',
      'Wed, 01 Apr 2020 13:00:00 GMT',
      '2020-04-01T13',
      '2020-04-01T13:00:00+02',
      '2020-04-01Z',
      '2020-13-01',
      '2021-02-29',
      '2020-04-31',
      '2020-04-01T25:00',
      '2020-04-01T24:30',
      '2020-04-01T13:60',
      '2020-04-01T13:00:60',
      '2020-04-01T13:00+24:00',
      '0x10',
      '1e400',
      'Infinity',
      NaN,
      Infinity,
      -Infinity,
      10n,
      true,
      false,
      null,
      undefined,
      {},
      [1700000000000],
      { valueOf: () => 0 },
      new Date(NaN),
      Symbol('t'),
    ];
    for (const v of rejected) assert.equal(parseTime(v), undefined, String(v));
  });

  it('formats times for error texts as ISO in UTC, other numbers as they are', function () {
    assert.equal(iso(Date.UTC(2024, 0, 1)), '2024-01-01T00:00:00.000Z');
    assert.equal(iso(1e17), '100000000000000000');
    assert.equal(iso(NaN), 'NaN');
  });

  it('gives the same epoch ms whatever the machine time zone (zone-less = UTC, not local)', function () {
    this.timeout(20000);
    const inputs = ['2020-01-01', '2020-04-01T13:00', '2020-07-01 13:00:00.5', '2020-04-01T13:00+02:00'];
    const script = `
      const { parseTime } = require(${JSON.stringify(timeModule)});
      const inputs = ${JSON.stringify(inputs)};
      process.stdout.write(JSON.stringify({
        // The zone really is in force: local midnight differs from UTC midnight.
        localOffsetMin: new Date(2020, 0, 1).getTimezoneOffset(),
        parsed: inputs.map(parseTime),
      }));`;
    const runIn = (tz) =>
      JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, TZ: tz } }));
    const newYork = runIn('America/New_York');
    const kolkata = runIn('Asia/Kolkata');
    assert.equal(newYork.localOffsetMin, 300);
    assert.equal(kolkata.localOffsetMin, -330);
    const want = [
      Date.UTC(2020, 0, 1),
      Date.UTC(2020, 3, 1, 13),
      Date.UTC(2020, 6, 1, 13, 0, 0, 500),
      Date.UTC(2020, 3, 1, 11),
    ];
    assert.deepEqual(newYork.parsed, want);
    assert.deepEqual(kolkata.parsed, want);
  });
});
