/**
 * The Telco customer-churn data of the bundled example: how a customer's row becomes the numeric
 * feature vector the models take, and the seeded train/test split.
 *
 * The encoded vector is what the served models' `features` input takes, column for column, and what
 * data/reference.csv holds: raw numbers (not standardized: each model standardizes inside its graph),
 * Yes/No columns as 1/0, and categories one-hot.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseCsvTable } from './csv';
import type { Matrix } from './logistic';
import { seededRandom } from '../util/random';

export const CHURN_DATA_FILE = 'data/telco-churn.csv';
export const CHURN_LABEL_COLUMN = 'Churn';
export const CHURN_ID_COLUMN = 'customerID';

type Encoder = { name: string; column: string; encode: (value: string) => number };

function number(column: string, blank?: number): Encoder['encode'] {
  return (value) => {
    const text = value.trim();
    if (text === '' && blank !== undefined) return blank;
    const n = Number(text);
    if (text === '' || !Number.isFinite(n)) throw new Error(`${column} is not a number: "${value}"`);
    return n;
  };
}

/** 1 for `positive`, 0 for any of `negatives`; anything else is an error. */
function binary(column: string, positive: string, negatives: string[], name = column): Encoder {
  return {
    name,
    column,
    encode: (value) => {
      if (value === positive) return 1;
      if (negatives.includes(value)) return 0;
      throw new Error(`${column} must be ${[positive, ...negatives].map((v) => `"${v}"`).join(' or ')}, not "${value}"`);
    },
  };
}

/** Yes → 1; No, and the "No phone service" / "No internet service" of dependent services, → 0. */
const yesNo = (column: string): Encoder => binary(column, 'Yes', ['No', 'No phone service', 'No internet service']);

/** `Column_Level` with the level's non-alphanumerics turned into `_`: Contract_Month_to_month. */
function oneHot(column: string, levels: string[]): Encoder[] {
  return levels.map((level) => ({
    name: `${column}_${level.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
    column,
    encode: (value: string) => {
      if (!levels.includes(value)) throw new Error(`${column} must be one of ${levels.map((l) => `"${l}"`).join(', ')}, not "${value}"`);
      return value === level ? 1 : 0;
    },
  }));
}

/**
 * The encoded feature vector, in order. TotalCharges is blank for the 11 customers in their first
 * month (tenure 0), who have not been billed yet: a blank is 0.
 */
const ENCODERS: Encoder[] = [
  { name: 'tenure', column: 'tenure', encode: number('tenure') },
  { name: 'MonthlyCharges', column: 'MonthlyCharges', encode: number('MonthlyCharges') },
  { name: 'TotalCharges', column: 'TotalCharges', encode: number('TotalCharges', 0) },
  binary('SeniorCitizen', '1', ['0']),
  binary('gender', 'Male', ['Female'], 'gender_Male'),
  ...['Partner', 'Dependents', 'PhoneService', 'MultipleLines', 'PaperlessBilling'].map(yesNo),
  ...['OnlineSecurity', 'OnlineBackup', 'DeviceProtection', 'TechSupport', 'StreamingTV', 'StreamingMovies'].map(yesNo),
  ...oneHot('Contract', ['Month-to-month', 'One year', 'Two year']),
  ...oneHot('InternetService', ['DSL', 'Fiber optic', 'No']),
  ...oneHot('PaymentMethod', ['Bank transfer (automatic)', 'Credit card (automatic)', 'Electronic check', 'Mailed check']),
];

/** Names of the encoded features, in the order of the models' `features` input. */
export const CHURN_FEATURES: readonly string[] = ENCODERS.map((e) => e.name);

/** Indices of named features in the encoded vector. */
export function featureColumns(names: readonly string[]): number[] {
  return names.map((name) => {
    const at = CHURN_FEATURES.indexOf(name);
    if (at < 0) throw new Error(`unknown feature "${name}"`);
    return at;
  });
}

/** Encoded rows with their labels and customer ids. */
export interface ChurnRows {
  x: Matrix;
  /** 1 churned, 0 stayed. */
  y: Uint8Array;
  ids: string[];
  /** 0-based positions of the rows among the data file's records (after the header). */
  positions: number[];
}

export interface ChurnDataset {
  features: readonly string[];
  all: ChurnRows;
  train: ChurnRows;
  test: ChurnRows;
  /** SHA-256 of the data file's bytes. */
  sha256: string;
}

export interface SplitSettings {
  /** Share of each class held out for testing. */
  testFraction: number;
  seed: number;
}

export const DEFAULT_SPLIT: SplitSettings = { testFraction: 0.3, seed: 42 };

/** Encodes a CSV text of the Telco churn columns; a bad value is reported with its record number and column. */
export function encodeChurnCsv(text: string): ChurnRows {
  const table = parseCsvTable(text);
  const index = (column: string) => {
    const at = table.columns.indexOf(column);
    if (at < 0) throw new Error(`the data has no "${column}" column`);
    return at;
  };
  const sources = ENCODERS.map((e) => index(e.column));
  const label = index(CHURN_LABEL_COLUMN);
  const id = index(CHURN_ID_COLUMN);
  const k = ENCODERS.length;
  const n = table.rows.length;
  const data = new Float64Array(n * k);
  const y = new Uint8Array(n);
  const ids: string[] = [];
  table.rows.forEach((row, i) => {
    const where = `record ${i + 2}`;
    for (let j = 0; j < k; j++) {
      try {
        data[i * k + j] = ENCODERS[j].encode(row[sources[j]]);
      } catch (error) {
        throw new Error(`${where}: ${(error as Error).message}`);
      }
    }
    const churn = row[label];
    if (churn !== 'Yes' && churn !== 'No') throw new Error(`${where}: ${CHURN_LABEL_COLUMN} must be Yes or No, not "${churn}"`);
    y[i] = churn === 'Yes' ? 1 : 0;
    ids.push(row[id]);
  });
  return { x: { rows: n, cols: k, data }, y, ids, positions: Array.from({ length: n }, (_, i) => i) };
}

/** The rows at the given positions of `rows`. */
export function selectRows(rows: ChurnRows, positions: number[]): ChurnRows {
  const k = rows.x.cols;
  const data = new Float64Array(positions.length * k);
  positions.forEach((p, i) => data.set(rows.x.data.subarray(p * k, (p + 1) * k), i * k));
  return {
    x: { rows: positions.length, cols: k, data },
    y: Uint8Array.from(positions, (p) => rows.y[p]),
    ids: positions.map((p) => rows.ids[p]),
    positions: positions.map((p) => rows.positions[p]),
  };
}


/**
 * A stratified split: within each class, a seeded Fisher–Yates shuffle picks round(testFraction ·
 * count) rows for testing. Both parts keep the data file's order.
 */
export function stratifiedSplit(y: ArrayLike<number>, settings: SplitSettings): { train: number[]; test: number[] } {
  const random = seededRandom(settings.seed);
  const test = new Set<number>();
  for (const label of [0, 1]) {
    const members: number[] = [];
    for (let i = 0; i < y.length; i++) if (y[i] === label) members.push(i);
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [members[i], members[j]] = [members[j], members[i]];
    }
    for (const i of members.slice(0, Math.round(settings.testFraction * members.length))) test.add(i);
  }
  const train: number[] = [];
  const held: number[] = [];
  for (let i = 0; i < y.length; i++) (test.has(i) ? held : train).push(i);
  return { train, test: held };
}

/** Reads, encodes and splits the data file. */
export function loadChurnDataset(path: string, split: SplitSettings = DEFAULT_SPLIT): ChurnDataset {
  const bytes = readFileSync(path);
  let all: ChurnRows;
  try {
    all = encodeChurnCsv(bytes.toString('utf8'));
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
  const { train, test } = stratifiedSplit(all.y, split);
  return {
    features: CHURN_FEATURES,
    all,
    train: selectRows(all, train),
    test: selectRows(all, test),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}
