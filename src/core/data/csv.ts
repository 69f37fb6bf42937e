/**
 * A small CSV reader for the evaluate command and the benchmarks: RFC 4180
 * quoting (doubled quotes, separators and line breaks inside quotes), LF or
 * CRLF line ends, a header row, a leading BOM. Cells stay strings until a
 * column is asked for as numbers or times, so one bad cell is reported with
 * its row and column instead of silently becoming NaN.
 */
import { describe } from '../base/errors';
import { fail } from '../base/messages';
import { parseTime } from '../base/time';

export interface CsvTable {
  /** Column names from the header row, trimmed. */
  header: string[];
  /** Data rows (header excluded), each with `header.length` cells. */
  rows: string[][];
}

export interface CsvOptions {
  /** Field separator, one character. Default ','. */
  delimiter?: string;
}

/**
 * Parses CSV text with a header row. Blank lines are skipped; every data row
 * must have as many fields as the header.
 * Row numbers in errors count data rows from 1 (the header is not counted).
 */
export function parseCsv(text: string, opts: CsvOptions = {}): CsvTable {
  const sep = opts.delimiter ?? ',';
  if (sep.length !== 1 || sep === '"' || sep === '\n' || sep === '\r') {
    throw fail('BAD_CONFIG', 'csv.badDelimiter', { got: describe(sep) });
  }
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let wasQuoted = false; // the current field had quotes (so an empty one still counts)
  let line = 1;
  let quoteLine = 0;
  let wasQuotedRecord = false; // some field of the current record was quoted
  const endField = (): void => {
    record.push(field);
    field = '';
    wasQuoted = false;
  };
  const endRecord = (): void => {
    endField();
    // A line with nothing on it is a blank line, not a row with one empty cell.
    if (!(record.length === 1 && record[0] === '' && !wasQuotedRecord)) records.push(record);
    record = [];
    wasQuotedRecord = false;
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      if (field.trim() !== '' || wasQuoted) {
        throw fail('BAD_INPUT', 'csv.strayQuote', { line });
      }
      field = '';
      quoted = true;
      wasQuoted = true;
      wasQuotedRecord = true;
      quoteLine = line;
    } else if (c === sep) {
      endField();
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      endRecord();
      line++;
    } else if (wasQuoted) {
      if (c !== ' ' && c !== '\t') {
        throw fail('BAD_INPUT', 'csv.afterClosingQuote', { line, c: describe(c) });
      }
    } else {
      field += c;
    }
  }
  if (quoted) throw fail('BAD_INPUT', 'csv.unclosedQuote', { quoteLine });
  if (field !== '' || record.length || wasQuoted) endRecord();
  if (!records.length) throw fail('BAD_INPUT', 'csv.empty', {});
  const header = records[0].map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((h, j) => {
    if (h === '') throw fail('BAD_INPUT', 'csv.headerNoName', { value: j + 1 });
    if (seen.has(h)) throw fail('BAD_INPUT', 'csv.headerTwice', { h });
    seen.add(h);
  });
  const rows = records.slice(1);
  rows.forEach((r, k) => {
    if (r.length !== header.length) {
      throw fail('BAD_INPUT', 'csv.rowFieldCount', { value: k + 1, headerCount: header.length, got: r.length });
    }
  });
  return { header, rows };
}

/** Index of a column; the error lists the columns that exist. */
export function columnIndex(table: CsvTable, name: string): number {
  const j = table.header.indexOf(name);
  if (j < 0) {
    throw fail(
      'BAD_CONFIG',
      'csv.noColumn',
      { name, tableHeader: table.header.map((h) => `'${h}'`).join(', ') },
      'missing column',
    );
  }
  return j;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses one cell as a decimal number, or undefined. No hex, no "Infinity", no empty cells. */
export function parseNumber(cell: string): number | undefined {
  const s = cell.trim();
  if (!NUMBER.test(s)) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/**
 * A column as numbers; throws on the first cell that is not a number, with its
 * row and column.
 * @param rowIndices only these data rows (0-based), e.g. a time range; default all.
 */
export function numericColumn(table: CsvTable, name: string, rowIndices?: number[]): number[] {
  const j = columnIndex(table, name);
  const ks = rowIndices ?? table.rows.map((_, k) => k);
  return ks.map((k) => {
    const r = table.rows[k];
    const v = parseNumber(r[j]);
    if (v === undefined) {
      throw fail('BAD_INPUT', 'csv.notNumber', { value: k + 1, name, got: describe(r[j]) }, 'non-numeric cell');
    }
    return v;
  });
}

/**
 * A column as epoch ms (see parseTime in base/time.ts: zone-less date-times are
 * UTC); throws on the first cell that is neither an ISO date nor a number.
 */
export function timeColumn(table: CsvTable, name: string): number[] {
  const j = columnIndex(table, name);
  return table.rows.map((r, k) => {
    const t = parseTime(r[j]);
    if (t === undefined) {
      throw fail('BAD_TIMESTAMP', 'csv.notTime', { value: k + 1, name, got: describe(r[j]) }, 'bad time');
    }
    return t;
  });
}
