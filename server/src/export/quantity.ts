/**
 * Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity), as requests, limits and
 * Seldon's `memory` take them:
 *
 *   <quantity>        ::= <signedNumber><suffix>
 *   <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
 *   <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
 *   <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
 *   <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
 *   <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
 *
 * (n and u are missing from the grammar as apimachinery's comment states it, but its parser and the
 * CRDs' pattern take them.) The exponent is an integer (the API server parses it as one, though the CRDs' pattern lets a
 * fraction through). Values are exact: a decimal mantissa times a power of ten, so `1000m` equals
 * `1` and `1Gi` is compared with `1G` without rounding.
 */

export interface Quantity {
  /** As written (trimmed); numbers written as YAML numbers are spelled as JavaScript spells them. */
  text: string;
  /** The value is sign × digits × 10^exponent (binary suffixes folded into digits). */
  negative: boolean;
  digits: bigint;
  exponent: number;
}

const BINARY: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const GRAMMAR = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** The quantity a text (or a YAML number) spells, or undefined when it is not one. */
export function parseQuantity(input: string | number): Quantity | undefined {
  if (typeof input === 'number' && !Number.isFinite(input)) return undefined;
  const text = typeof input === 'number' ? String(input) : input.trim();
  const match = GRAMMAR.exec(text);
  if (!match) return undefined;
  const [, sign, number, suffix = ''] = match;
  const [whole, fraction = ''] = number.split('.');
  let digits = BigInt(`${whole}${fraction}` || '0');
  let exponent = -fraction.length;
  if (suffix in BINARY) digits *= 1024n ** BigInt(BINARY[suffix]);
  else if (suffix in DECIMAL) exponent += DECIMAL[suffix];
  else {
    const e = Number(suffix.slice(1));
    // Beyond this no resource exists, and the arithmetic below would build huge numbers.
    if (!Number.isSafeInteger(e) || Math.abs(e) > 1000) return undefined;
    exponent += e;
  }
  return { text, negative: sign === '-' && digits !== 0n, digits, exponent };
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  const sa = sign(a);
  const sb = sign(b);
  if (sa !== sb || sa === 0) return Math.sign(sa - sb);
  const magnitude = compareMagnitudes(a, b);
  return sa > 0 ? magnitude : -magnitude;
}

function sign(q: Quantity): number {
  return q.digits === 0n ? 0 : q.negative ? -1 : 1;
}

function compareMagnitudes(a: Quantity, b: Quantity): number {
  // Orders of magnitude apart: decided without scaling (which could build enormous numbers).
  const la = a.digits.toString().length + a.exponent;
  const lb = b.digits.toString().length + b.exponent;
  if (la !== lb) return la < lb ? -1 : 1;
  const low = Math.min(a.exponent, b.exponent);
  const x = a.digits * 10n ** BigInt(a.exponent - low);
  const y = b.digits * 10n ** BigInt(b.exponent - low);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** An approximate number (cores, bytes), for messages. */
export function quantityValue(q: Quantity): number {
  const v = Number(q.digits) * 10 ** q.exponent;
  return q.negative ? -v : v;
}

/**
 * What a text that is not a quantity was probably meant as: spaces dropped, `GB`/`GiB` spelled as
 * Kubernetes spells them, a decimal comma as a point, cores and `cpu` words dropped. The first
 * suggestion means the same amount as the text (`1 GB` → `1G`); a second gives the binary unit
 * people often mean (`1Gi`). Empty when nothing sensible comes to mind.
 */
export function suggestQuantity(input: string, resource: 'cpu' | 'memory'): string[] {
  const compact = input.trim().replace(/\s+/g, '').replace(/^(\d*),(\d+)/, '$1.$2');
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(.*)$/.exec(compact);
  if (!m) return [];
  const [, number, rawUnit] = m;
  const unit = rawUnit.replace(/^[-_]/, '');
  const ok = (s: string): string[] => (parseQuantity(s) ? [s] : []);
  if (resource === 'cpu') {
    if (/^(cores?|cpus?|vcpus?)$/i.test(unit)) return ok(number);
    if (/^(m|mcpu|millicores?|millicpus?)$/i.test(unit)) return ok(`${number}m`);
    return unit === rawUnit && parseQuantity(compact) ? [compact] : [];
  }
  if (/^(b|bytes?)$/i.test(unit)) return ok(number);
  const binary = /^([kmgtpe])i(b|bytes?)?$/i.exec(unit);
  if (binary) return ok(`${number}${binary[1].toUpperCase()}i`);
  const decimal = /^([kmgtpe])(b|bytes?)?$/i.exec(unit);
  if (decimal) {
    const letter = decimal[1].toLowerCase() === 'k' ? 'k' : decimal[1].toUpperCase();
    return [...ok(`${number}${letter}`), ...ok(`${number}${letter.toUpperCase()}i`)];
  }
  return parseQuantity(compact) ? [compact] : [];
}
