/**
 * The pack's one time parser. The CLI and the benchmarks (CSV time columns),
 * the sequence windower (msg.timestamp, batch time fields) and the attention
 * report all read times here, so one CSV gives the same timestamps whether it
 * goes through the CLI or through a flow, on any machine.
 */

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const ISO_DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?(Z|[+-]\d\d:?\d\d)?)?$/i;

/**
 * Reads a time as epoch milliseconds. Accepted:
 * - a finite number: epoch ms;
 * - a numeric string: epoch ms in decimal, with an optional sign, fraction and
 *   exponent (`'1700000000000'`, `'1.7e12'`);
 * - a valid Date (also one made in another realm, e.g. a function node's sandbox);
 * - an ISO 8601 date or date-time string: `2020-04-01`, `2020-04-01T13:00`,
 *   `2020-04-01 13:00:00.5`, optionally with `Z` or an offset (`+02:00`, `+0200`)
 *   after the time. `T` and `Z` may be lower case; fractions beyond milliseconds
 *   are cut off; `24:00` is the midnight that ends the day.
 *
 * Zone rule: a date or date-time without an offset is read as UTC, never as the
 * machine's local time, so results do not depend on where the code runs (the
 * CLI has always done this; Date.parse would not).
 *
 * Strings are trimmed first. Everything else is not a time and gives undefined:
 * other string formats, impossible dates (`2020-02-30`), NaN, Infinity, bigint,
 * booleans, null, other objects and invalid Dates. Callers turn undefined into
 * their own error text.
 */
export function parseTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') return parseTimeString(value.trim());
  if (value !== null && typeof value === 'object') return dateValue(value);
  return undefined;
}

/**
 * Formats epoch ms for an error text: ISO 8601 in UTC, or the number as it is
 * when no Date can hold it.
 */
export function iso(t: number): string {
  return Number.isFinite(t) && Math.abs(t) <= 8.64e15 ? new Date(t).toISOString() : String(t);
}

/** The time of a Date, or undefined for an invalid Date or any other object. */
function dateValue(value: object): number | undefined {
  let t: number;
  try {
    // getTime throws on anything but a Date; unlike instanceof it also accepts Dates from other realms.
    t = Date.prototype.getTime.call(value);
  } catch {
    return undefined;
  }
  return Number.isFinite(t) ? t : undefined;
}

function parseTimeString(s: string): number | undefined {
  if (NUMBER.test(s)) {
    const n = Number(s);
    return Number.isFinite(n) ? n : undefined;
  }
  const m = ISO_DATE_TIME.exec(s);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const endOfDay = hour === 24 && minute === 0 && second === 0 && /^0*$/.test(m[7] ?? '');
  if ((hour > 23 && !endOfDay) || minute > 59 || second > 59) return undefined;
  const offset = offsetMinutes(m[8]);
  if (offset === undefined) return undefined;
  const d = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime() - offset * 60000;
}

/** Minutes east of UTC for 'Z', '+hh:mm' or '+hhmm'; none given means UTC (the zone rule). */
function offsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(-2));
  if (hours > 23 || minutes > 59) return undefined;
  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
