/**
 * JSON text that is already serialized (tensor data: exact int64 digits, "NaN" strings) and is
 * spliced into a response as is. JSON.stringify cannot emit BigInt or raw number text, so responses
 * go through `stringify` below instead.
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify that emits RawJson values verbatim. Response objects are shallow, so recursion is fine. */
export function stringify(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stringify(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const parts: string[] = [];
    for (const [key, v] of Object.entries(value)) {
      if (v !== undefined) parts.push(`${JSON.stringify(key)}:${stringify(v)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A short, printable rendering of a request value for error messages. */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'bigint' ? `${value}` : (JSON.stringify(value) ?? String(value));
  } catch {
    // Not String(value): on a deep array that recurses as JSON.stringify did.
    text = Array.isArray(value) ? `an array of ${value.length}` : Object.prototype.toString.call(value);
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
