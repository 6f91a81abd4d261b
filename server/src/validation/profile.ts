/**
 * What a column's values look like, gathered in one pass beside validation: nulls, distinct values
 * (counted up to a limit), the numeric range and mean, the most frequent values, and a histogram
 * from a bounded sample. Hover, the report's histograms and `--infer` read it.
 */
import type { ColumnProfile } from '../contract';
import { seededRandom } from '../util/random';
import { INFERABLE_DATE_FORMATS, compileDateFormat, type DateFormat } from './dates';

/** Distinct values are counted up to this many; a column with more is "many". */
export const DISTINCT_LIMIT = 1000;
/**
 * Outside inference, distinct values are counted among the first this many values only: counting
 * every cell of a long column costs more than reading it, and the first 65,536 tell what hover and
 * the report show (inference counts them all, since its categories must be exact).
 */
export const DISTINCT_SAMPLE = 65_536;
const SAMPLE_LIMIT = 100_000;
const HISTOGRAM_BINS = 20;
const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A cell's number, or NaN when its text is not one by this syntax (no hex, no "Infinity", no
 * thousands separators, no spaces). NaN rather than undefined keeps the hot path in plain doubles.
 */
export function numericValue(text: string): number {
  const n = +text;
  if (Number.isNaN(n)) return NaN;
  // Number() also takes what the syntax does not: spaces around, 0x/0o/0b prefixes, Infinity.
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  const digitOrDot = (c: number) => (c >= 48 && c <= 57) || c === 46;
  if (!(digitOrDot(first) || first === 43 || first === 45) || !digitOrDot(last)) return NaN;
  if (text.length > 2 && (text.charCodeAt(1) | 32) >= 98 && !NUMERIC.test(text)) return NaN;
  return Number.isFinite(n) ? n : NaN;
}

const inferableFormats: DateFormat[] = INFERABLE_DATE_FORMATS.map((f) => compileDateFormat(f) as DateFormat);

export class ColumnProfiler {
  count = 0;
  nulls = 0;
  numeric = 0;
  integers = 0;
  /** With `inferDates`: cells reading true or false (any case). */
  booleans = 0;
  min = Infinity;
  max = -Infinity;
  private sum = 0;
  private readonly counts = new Map<string, number>();
  private capped = false;
  private readonly sample: number[] = [];
  private readonly random = seededRandom(0x5eed);
  /** Counts of cells each inferable date format reads (only with `inferDates`). */
  readonly dateHits: number[];
  maxLength = 0;
  /** With `inferDates`: every value seen while none repeated (dropped at the first repeat). */
  private everyValue: Set<string> | undefined;
  repeated = false;
  /** With `inferDates`: the shape every value shares (digits 9, capitals A, small letters a), or null once they differ. */
  shape: string | null | undefined;

  constructor(
    readonly column: string,
    private readonly inferDates = false,
  ) {
    this.dateHits = inferDates ? inferableFormats.map(() => 0) : [];
    if (inferDates) this.everyValue = new Set();
  }

  addNull(): void {
    this.nulls++;
  }

  /** A non-null cell: its text, and its number (NaN when it does not read as one). */
  add(text: string, number: number): void {
    this.count++;
    if (!this.capped && (this.inferDates || this.count <= DISTINCT_SAMPLE)) {
      const seen = this.counts.get(text);
      if (seen !== undefined) this.counts.set(text, seen + 1);
      else if (this.counts.size < DISTINCT_LIMIT) this.counts.set(text, 1);
      else this.capped = true;
    }
    if (number === number) {
      this.numeric++;
      if (Number.isInteger(number)) this.integers++;
      if (number < this.min) this.min = number;
      if (number > this.max) this.max = number;
      this.sum += number;
      // Reservoir sampling: a uniform sample of every numeric value, whatever the column's length.
      if (this.sample.length < SAMPLE_LIMIT) this.sample.push(number);
      else {
        const k = Math.floor(this.random() * this.numeric);
        if (k < SAMPLE_LIMIT) this.sample[k] = number;
      }
    }
    if (this.inferDates) {
      if (this.everyValue) {
        if (this.everyValue.has(text)) {
          this.repeated = true;
          this.everyValue = undefined;
        } else this.everyValue.add(text);
      }
      if (this.shape !== null) {
        const shape = text.length <= 40 ? shapeOf(text) : null;
        this.shape = this.shape === undefined || this.shape === shape ? shape : null;
      }
      if (/^(true|false)$/i.test(text.trim())) this.booleans++;
      if (text.length > this.maxLength) this.maxLength = text.length;
      if (number !== number) for (let i = 0; i < inferableFormats.length; i++) if (inferableFormats[i].parse(text) !== undefined) this.dateHits[i]++;
    }
  }

  get distinct(): number {
    return this.counts.size;
  }

  get distinctCapped(): boolean {
    return this.capped;
  }

  /** Distinct values with their counts, most frequent first (all of them unless capped). */
  values(): { value: string; count: number }[] {
    return [...this.counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  }

  /** The best inferable date format and how many cells it read. */
  bestDateFormat(): { format: string; hits: number } | undefined {
    let best = -1;
    for (let i = 0; i < this.dateHits.length; i++) if (this.dateHits[i] > 0 && (best < 0 || this.dateHits[i] > this.dateHits[best])) best = i;
    return best < 0 ? undefined : { format: INFERABLE_DATE_FORMATS[best], hits: this.dateHits[best] };
  }

  result(): ColumnProfile {
    const profile: ColumnProfile = { column: this.column, count: this.count, nulls: this.nulls, distinct: this.counts.size, distinctCapped: this.capped, distinctAmong: this.inferDates ? this.count : Math.min(this.count, DISTINCT_SAMPLE), numeric: this.numeric, top: this.values().slice(0, 10) };
    if (this.numeric > 0) {
      profile.min = this.min;
      profile.max = this.max;
      profile.mean = this.sum / this.numeric;
      profile.histogram = histogram(this.sample, this.min, this.max);
    }
    return profile;
  }
}

function shapeOf(text: string): string {
  return text.replace(/[0-9]/g, '9').replace(/[A-Z]/g, 'A').replace(/[a-z]/g, 'a');
}

function histogram(values: number[], min: number, max: number): { edges: number[]; counts: number[] } {
  if (min === max) return { edges: [min, max], counts: [values.length] };
  const bins = HISTOGRAM_BINS;
  const width = (max - min) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - min) / width))]++;
  return { edges: Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + i * width)), counts };
}
