/**
 * A small CSV reader for the evaluate command and the benchmarks: RFC 4180
 * quoting (doubled quotes, separators and line breaks inside quotes), LF or
 * CRLF line ends, a header row, a leading BOM. Cells stay strings until a
 * column is asked for as numbers or times, so one bad cell is reported with
 * its row and column instead of silently becoming NaN.
 */
import { ForecastError, describe } from '../base/errors';
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
    throw new ForecastError(
      'BAD_CONFIG',
      `CSV delimiter must be one character other than a quote or line break, got ${describe(sep)}`,
    );
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
        throw new ForecastError(
          'BAD_INPUT',
          `CSV line ${line}: a quote inside an unquoted field (quote the whole field and double inner quotes)`,
        );
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
        throw new ForecastError('BAD_INPUT', `CSV line ${line}: unexpected ${describe(c)} after a closing quote`);
      }
    } else {
      field += c;
    }
  }
  if (quoted) throw new ForecastError('BAD_INPUT', `CSV line ${quoteLine}: a quoted field is never closed`);
  if (field !== '' || record.length || wasQuoted) endRecord();
  if (!records.length) throw new ForecastError('BAD_INPUT', 'CSV is empty: expected a header row and data rows');
  const header = records[0].map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((h, j) => {
    if (h === '') throw new ForecastError('BAD_INPUT', `CSV header: column ${j + 1} has no name`);
    if (seen.has(h)) throw new ForecastError('BAD_INPUT', `CSV header: column '${h}' appears twice`);
    seen.add(h);
  });
  const rows = records.slice(1);
  rows.forEach((r, k) => {
    if (r.length !== header.length) {
      throw new ForecastError(
        'BAD_INPUT',
        `CSV row ${k + 1}: expected ${header.length} fields like the header, got ${r.length}`,
      );
    }
  });
  return { header, rows };
}

/** Index of a column; the error lists the columns that exist. */
export function columnIndex(table: CsvTable, name: string): number {
  const j = table.header.indexOf(name);
  if (j < 0) {
    throw new ForecastError(
      'BAD_CONFIG',
      `column '${name}' not found; available columns: ${table.header.map((h) => `'${h}'`).join(', ')}`,
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
      throw new ForecastError(
        'BAD_INPUT',
        `row ${k + 1}, column '${name}': expected a number, got ${describe(r[j])}`,
        'non-numeric cell',
      );
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
      throw new ForecastError(
        'BAD_TIMESTAMP',
        `row ${k + 1}, column '${name}': expected an ISO date (2020-04-01 or 2020-04-01T13:00:00Z) or epoch ms, got ${describe(r[j])}`,
        'bad time',
      );
    }
    return t;
  });
}
