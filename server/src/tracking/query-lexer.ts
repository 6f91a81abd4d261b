/**
 * Tokens of the run query language (see query.ts). Offsets are 0-based UTF-16 indices into the text,
 * the same unit VS Code and the language server use for columns; errors report them 1-based.
 */

/** A bad filter or order-by. `column` is 1-based; `token` is the offending source text ('' at the end). */
export class QuerySyntaxError extends Error {
  override readonly name = 'QuerySyntaxError';
  /** The message without the trailing "at column N". */
  readonly description: string;
  readonly column: number;
  readonly token: string;

  constructor(description: string, column: number, token: string) {
    super(`${description} at column ${column}`);
    this.description = description;
    this.column = column;
    this.token = token;
  }
}

export type TokenKind = 'word' | 'number' | 'string' | 'op' | '(' | ')' | ',' | 'eof';
export type Quote = '' | "'" | '"' | '`';

export interface Token {
  kind: TokenKind;
  /** The source text, exactly as written. */
  raw: string;
  /** Quoted tokens: the decoded contents. Others: the same as `raw`. */
  value: string;
  /** Which quote a `string` token used ('`' for a quoted key); '' for everything else. */
  quote: Quote;
  start: number;
  end: number;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const WHITESPACE = /\s/;

/** Characters that end a bare word. Everything else (letters of any script, `.`, `/`, `-`, `:` ...) belongs to it. */
function isDelimiter(ch: string): boolean {
  switch (ch) {
    case '(':
    case ')':
    case ',':
    case '=':
    case '!':
    case '<':
    case '>':
    case "'":
    case '"':
    case '`':
      return true;
    default:
      return WHITESPACE.test(ch);
  }
}

/** Shortens a token for an error message. */
export function quoteForMessage(raw: string): string {
  const shown = raw.length > 40 ? `${raw.slice(0, 37)}...` : raw;
  return `'${shown}'`;
}

/**
 * Splits a query into tokens, always ending with one `eof` token.
 *
 * Strings are single- or double-quoted; keys may also be quoted with backticks. MLflow's tokenizer
 * (sqlparse) accepts a doubled quote or a backslash-escaped quote inside a string but hands the text
 * on undecoded; here both are decoded, so `'it''s'` and `'it\'s'` both mean `it's`, and `\\` means one
 * backslash. Any other backslash is kept as written, so Windows paths need no doubling. Inside
 * backticks only a doubled backtick is special.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const ch = text[i];
    if (WHITESPACE.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: ch, raw: ch, value: ch, quote: '', start, end: i + 1 });
      i++;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      const { value, end } = readQuoted(text, start, ch);
      const raw = text.slice(start, end);
      tokens.push({ kind: 'string', raw, value, quote: ch, start, end });
      i = end;
      continue;
    }
    if (ch === '=' || ch === '!' || ch === '<' || ch === '>') {
      const next = text[i + 1];
      let op: string = ch;
      if (next === '=' || (ch === '<' && next === '>')) op = ch + next;
      else if (ch === '!') throw new QuerySyntaxError("unexpected '!' (did you mean '!='?)", start + 1, '!');
      tokens.push({ kind: 'op', raw: op, value: op, quote: '', start, end: start + op.length });
      i += op.length;
      continue;
    }
    while (i < n && !isDelimiter(text[i])) i++;
    const raw = text.slice(start, i);
    tokens.push({ kind: NUMBER.test(raw) ? 'number' : 'word', raw, value: raw, quote: '', start, end: i });
  }
  tokens.push({ kind: 'eof', raw: '', value: '', quote: '', start: n, end: n });
  return tokens;
}

function readQuoted(text: string, start: number, quote: "'" | '"' | '`'): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  let segment = i;
  while (i < text.length) {
    const ch = text[i];
    if (ch === quote) {
      if (text[i + 1] === quote) {
        value += text.slice(segment, i) + quote;
        i += 2;
        segment = i;
        continue;
      }
      return { value: value + text.slice(segment, i), end: i + 1 };
    }
    if (ch === '\\' && quote !== '`' && (text[i + 1] === quote || text[i + 1] === '\\')) {
      value += text.slice(segment, i) + text[i + 1];
      i += 2;
      segment = i;
      continue;
    }
    i++;
  }
  const what = quote === '`' ? 'quoted key' : 'string';
  throw new QuerySyntaxError(`unterminated ${what} (missing closing ${quote})`, start + 1, text.slice(start));
}
