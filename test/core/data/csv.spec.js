'use strict';
const assert = require('node:assert/strict');
const { parseCsv, numericColumn, timeColumn, parseNumber, columnIndex } = require('../../../nodes/core/data/csv');

describe('csv', function () {
  it('reads a header, quoted fields, doubled quotes, CRLF and blank lines', function () {
    const t = parseCsv('\ufeffa, b ,c\r\n1,"x, ""y""\nz",3\r\n\r\n4,,"6"\n');
    assert.deepEqual(t.header, ['a', 'b', 'c']);
    assert.deepEqual(t.rows, [
      ['1', 'x, "y"\nz', '3'],
      ['4', '', '6'],
    ]);
  });

  it('accepts a last line without a line break and another delimiter', function () {
    assert.deepEqual(parseCsv('a;b\n1;2', { delimiter: ';' }).rows, [['1', '2']]);
  });

  it('refuses ragged rows, unclosed quotes, duplicate and empty header names', function () {
    assert.throws(() => parseCsv('a,b\n1,2\n3'), /CSV row 2: expected 2 fields like the header, got 1/);
    assert.throws(() => parseCsv('a,b\n1,"2\n'), /line 2: a quoted field is never closed/);
    assert.throws(() => parseCsv('a,a\n1,2'), /column 'a' appears twice/);
    assert.throws(() => parseCsv('a,\n1,2'), /column 2 has no name/);
    assert.throws(() => parseCsv(''), /CSV is empty/);
    assert.throws(() => parseCsv('a,b\n1,x"y"'), /quote inside an unquoted field/);
  });

  it('parses numeric columns and names the row, column and cell of a bad one', function () {
    const t = parseCsv('time,temperature\n1, 2.5\n2,-1e3\n3,n/a\n');
    assert.deepEqual(numericColumn(t, 'temperature', [0, 1]), [2.5, -1000]);
    assert.throws(
      () => numericColumn(t, 'temperature'),
      (e) => {
        assert.equal(e.name, 'ForecastError');
        assert.equal(e.code, 'BAD_INPUT');
        assert.equal(e.message, `row 3, column 'temperature': expected a number, got "n/a"`);
        return true;
      },
    );
    for (const bad of ['', '0x10', 'Infinity', 'NaN', '1,5', '1.2.3']) assert.equal(parseNumber(bad), undefined, bad);
  });

  it('lists the available columns when one is missing', function () {
    const t = parseCsv('date,pressure\n2020-01-01,1000\n');
    assert.throws(() => columnIndex(t, 'temp'), /column 'temp' not found; available columns: 'date', 'pressure'/);
  });

  it('reads a time column of ISO dates (UTC when no zone) and epoch ms', function () {
    const ok = parseCsv('date,x\n1964-05-01,1\n2010-01-01 01:30,2\n2010-01-01T01:00:00.250+01:00,3\n1700000000000,4\n');
    assert.deepEqual(timeColumn(ok, 'date'), [
      Date.UTC(1964, 4, 1),
      Date.UTC(2010, 0, 1, 1, 30),
      Date.UTC(2010, 0, 1, 0, 0, 0, 250),
      1700000000000,
    ]);
    const t = parseCsv('date,x\n2020-01-01,1\nsoon,2\n');
    assert.throws(() => timeColumn(t, 'date'), /row 2, column 'date': expected an ISO date .* got "soon"/);
  });
});
