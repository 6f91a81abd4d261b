/**
 * Date formats of `type: date` and `type: datetime` columns, written with day.js/moment tokens
 * ("YYYY-MM-DD", "M/D/YY") or strftime directives ("%Y-%m-%d", as Great Expectations'
 * expect_column_values_to_match_strftime_format takes them). A format compiles to a parser that
 * accepts exactly that shape and a real calendar date (no 31 April), and gives the time in ms (UTC).
 */

export interface DateFormat {
  /** The format as written. */
  text: string;
  /** Milliseconds since the epoch (as UTC), or undefined when the text is not a date of this format. */
  parse(text: string): number | undefined;
}

type Part = 'year4' | 'year2' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'fraction';

const TOKENS: [string, Part, string][] = [
  ['YYYY', 'year4', '(\\d{4})'],
  ['YY', 'year2', '(\\d{2})'],
  ['MM', 'month', '(\\d{2})'],
  ['M', 'month', '(\\d{1,2})'],
  ['DD', 'day', '(\\d{2})'],
  ['D', 'day', '(\\d{1,2})'],
  ['HH', 'hour', '(\\d{2})'],
  ['H', 'hour', '(\\d{1,2})'],
  ['mm', 'minute', '(\\d{2})'],
  ['ss', 'second', '(\\d{2})'],
  ['SSS', 'fraction', '(\\d{3})'],
];

const STRFTIME: Record<string, [Part, string]> = {
  Y: ['year4', '(\\d{4})'],
  y: ['year2', '(\\d{2})'],
  m: ['month', '(\\d{1,2})'],
  d: ['day', '(\\d{1,2})'],
  H: ['hour', '(\\d{1,2})'],
  M: ['minute', '(\\d{2})'],
  S: ['second', '(\\d{2})'],
  f: ['fraction', '(\\d{1,6})'],
};

/** ISO 8601 dates, and for datetime a time after T or a space (seconds, fraction and zone optional). */
export const ISO_DATE = 'YYYY-MM-DD';

export function compileDateFormat(format: string): DateFormat | { error: string } {
  const parts: Part[] = [];
  let pattern = '';
  let i = 0;
  const strftime = format.includes('%');
  while (i < format.length) {
    if (strftime && format[i] === '%') {
      const directive = format[i + 1];
      if (directive === '%') {
        pattern += '%';
        i += 2;
        continue;
      }
      const known = directive === undefined ? undefined : STRFTIME[directive];
      if (!known) return { error: `%${directive ?? ''} is not a date directive this reader knows (%Y %y %m %d %H %M %S %f)` };
      parts.push(known[0]);
      pattern += known[1];
      i += 2;
      continue;
    }
    const token = strftime ? undefined : TOKENS.find(([t]) => format.startsWith(t, i));
    if (token) {
      parts.push(token[1]);
      pattern += token[2];
      i += token[0].length;
      continue;
    }
    if (!strftime && /[A-Za-z]/.test(format[i])) return { error: `"${format[i]}" at position ${i + 1} is neither a date token (YYYY YY MM M DD D HH H mm ss SSS) nor punctuation` };
    pattern += format[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    i++;
  }
  if (!parts.includes('year4') && !parts.includes('year2')) return { error: 'the format has no year (YYYY or YY, %Y or %y)' };
  if (new Set(parts).size !== parts.length) return { error: 'the format names a part of the date twice' };
  if (parts.includes('day') && !parts.includes('month')) return { error: 'the format has a day but no month' };
  const fixed = strftime ? undefined : fixedWidthParser(format, parts);
  if (fixed) return { text: format, parse: fixed };
  const regex = new RegExp(`^${pattern}$`);
  return { text: format, parse: (text) => fromParts(regex.exec(text.trim()), parts) };
}

const WIDTH: Partial<Record<string, number>> = { YYYY: 4, YY: 2, MM: 2, DD: 2, HH: 2, mm: 2, ss: 2, SSS: 3 };

/**
 * For formats of fixed-width tokens only ("YYYY-MM-DD", "DD.MM.YYYY HH:mm:ss"): digits read by
 * position, no regular expression and nothing allocated per value — the usual case, on every cell.
 */
function fixedWidthParser(format: string, parts: Part[]): ((text: string) => number | undefined) | undefined {
  // Each character of the value: a literal to match, or the k-th part's digit.
  const slots: ({ literal: number } | { part: number })[] = [];
  let i = 0;
  let k = 0;
  while (i < format.length) {
    const token = TOKENS.find(([t]) => format.startsWith(t, i));
    if (token) {
      const width = WIDTH[token[0]];
      if (width === undefined) return undefined;
      for (let w = 0; w < width; w++) slots.push({ part: k });
      k++;
      i += token[0].length;
    } else slots.push({ literal: format.charCodeAt(i++) });
  }
  const literal = slots.map((s) => ('literal' in s ? s.literal : -1));
  const partOf = slots.map((s) => ('part' in s ? s.part : -1));
  const values = new Array<number>(parts.length).fill(0);
  return (raw) => {
    const text = raw.charCodeAt(0) <= 32 || raw.charCodeAt(raw.length - 1) <= 32 ? raw.trim() : raw;
    if (text.length !== slots.length) return undefined;
    values.fill(0);
    for (let c = 0; c < slots.length; c++) {
      const code = text.charCodeAt(c);
      if (literal[c] >= 0) {
        if (code !== literal[c]) return undefined;
      } else {
        if (code < 48 || code > 57) return undefined;
        values[partOf[c]] = values[partOf[c]] * 10 + (code - 48);
      }
    }
    return fromValues(values, parts);
  };
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** ISO 8601: a date, and when `withTime` may be set a time after it. */
export function isoDateFormat(withTime: boolean): DateFormat {
  if (!withTime) return { ...(compileDateFormat(ISO_DATE) as DateFormat), text: 'ISO 8601 date (YYYY-MM-DD)' };
  return {
    text: withTime ? 'ISO 8601 date and time' : 'ISO 8601 date (YYYY-MM-DD)',
    parse(text) {
      const m = ISO.exec(text.trim());
      if (!m || (!withTime && m[4] !== undefined)) return undefined;
      const base = fromParts([m[0], m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0', (m[7] ?? '0').slice(0, 3).padEnd(3, '0')] as unknown as RegExpExecArray, ['year4', 'month', 'day', 'hour', 'minute', 'second', 'fraction']);
      if (base === undefined || !m[8] || m[8] === 'Z') return base;
      const sign = m[8][0] === '-' ? -1 : 1;
      const digits = m[8].slice(1).replace(':', '');
      return base - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
    },
  };
}

/** The time of a regular expression's groups, one per part. */
function fromParts(m: RegExpExecArray | null, parts: Part[]): number | undefined {
  if (!m) return undefined;
  const values = new Array<number>(parts.length);
  for (let k = 0; k < parts.length; k++) {
    const text = m[k + 1];
    // A fraction's digits are of a second: "5" is 500 ms, "123456" 123 ms.
    values[k] = parts[k] === 'fraction' ? Math.floor(Number(text.padEnd(6, '0').slice(0, 6)) / 1000) : Number(text);
  }
  return fromValues(values, parts);
}

/** The time of the parts' numbers (a fraction already in ms), or undefined when no real date and time. */
function fromValues(values: number[], parts: Part[]): number | undefined {
  let year = 1970;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let ms = 0;
  for (let k = 0; k < parts.length; k++) {
    const n = values[k];
    switch (parts[k]) {
      case 'year4':
        year = n;
        break;
      case 'year2':
        // As strftime's %y: 69–99 are 1969–1999, 00–68 are 2000–2068.
        year = n >= 69 ? 1900 + n : 2000 + n;
        break;
      case 'month':
        month = n;
        break;
      case 'day':
        day = n;
        break;
      case 'hour':
        hour = n;
        break;
      case 'minute':
        minute = n;
        break;
      case 'second':
        second = n;
        break;
      case 'fraction':
        ms = n;
        break;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  return month === 2 && (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : DAYS[month - 1];
}

/** Formats `mlops validate --infer` tries on a text column, most specific first. */
export const INFERABLE_DATE_FORMATS = ['YYYY-MM-DD', 'YYYY-MM-DD HH:mm:ss', 'YYYY/MM/DD', 'DD.MM.YYYY', 'M/D/YYYY', 'M/D/YY', 'D/M/YYYY'];
