import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from './paths';

/** A temp workspace with the given files (paths relative to it). */
export function workspace(prefix: string, files: Record<string, string | Uint8Array>): string {
  const dir = tempDir(prefix);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed with integers beyond 2^53 kept exact (as bigint). */
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function call(
  url: string,
  path: string,
  options: { method?: string; body?: unknown; raw?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  const headers = { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers };
  const res = await fetch(url + path, { method, body, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => parseExact(text) };
}

/** JSON.parse, except that integer literals outside ±2^53 become bigint instead of being rounded. */
export function parseExact(text: string): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i];
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i, i + 64));
    if (m && (i === 0 || !/[\w.]/.test(text[i - 1]))) {
      const token = m[0];
      const big = m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(Number(token));
      out += big ? `{"$big":"${token}"}` : token;
      i += token.length - 1;
      continue;
    }
    out += c;
  }
  return JSON.parse(out, (_, v) => (v && typeof v === 'object' && typeof v.$big === 'string' ? BigInt(v.$big) : v));
}

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the Prometheus text exposition format; throws on any line it does not understand. */
export function parsePrometheus(text: string): PromSample[] {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      if (comment[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(comment[3])) throw new Error(`bad TYPE: ${line}`);
        types.set(comment[2], comment[3]);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const labelText = m[2] ?? '';
    const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let consumed = 0;
    for (let lm = labelRe.exec(labelText); lm; lm = labelRe.exec(labelText)) {
      labels[lm[1]] = lm[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      consumed = labelRe.lastIndex;
    }
    if (consumed !== labelText.length) throw new Error(`bad labels: ${line}`);
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value: ${line}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    if (!types.has(m[1]) && !types.has(family)) throw new Error(`sample without TYPE: ${line}`);
    samples.push({ name: m[1], labels, value });
  }
  return samples;
}

/** Run `count` async tasks with at most `concurrency` at a time. */
export async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}
