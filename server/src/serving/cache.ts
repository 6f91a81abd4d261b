import { performance } from 'node:perf_hooks';
import type { HostTensor } from './dtypes';
import { toRaw } from './raw-tensors';

/**
 * The prediction cache of one endpoint (`cache:` in mlops.yaml): the output tensors its versions'
 * sessions gave for exact input tensors, so that a repeated request skips session.run. A cache
 * never changes an answer: the key holds every input's name, datatype, shape and bytes, and the
 * version; what is answered is a copy of what the session returned for those bytes.
 */

export interface CacheLimits {
  maxEntries: number;
  /** Keys, tensors and bookkeeping together (an estimate of the heap they take). */
  maxBytes: number;
  /** Entries are answered from for this long after they were stored; without it, until pushed out. */
  ttlMs?: number;
}

export const DEFAULT_CACHE_MAX_ENTRIES = 10_000;
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;

export type CacheEvent = 'hit' | 'miss' | 'eviction';

type Outputs = Map<string, HostTensor>;

interface Slot<V> {
  value: V;
  bytes: number;
  expires: number;
}

const NONE: readonly never[] = [];

/**
 * Least recently used first out, bounded by an entry count and a byte budget, with an optional time
 * to live. A Map keeps insertion order, so moving an entry to its end on use makes its first key
 * the least recently used one.
 */
export class Lru<V> {
  private readonly slots = new Map<string, Slot<V>>();
  private used = 0;

  constructor(
    private readonly limits: CacheLimits,
    /** Milliseconds from any fixed origin; monotonic, so a clock change does not expire everything. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.slots.size;
  }

  get bytes(): number {
    return this.used;
  }

  /** The value, made the most recently used; undefined when absent or expired (an expired one is dropped). */
  get(key: string): V | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    this.slots.delete(key);
    if (slot.expires <= this.now()) {
      this.used -= slot.bytes;
      return undefined;
    }
    this.slots.set(key, slot);
    return slot.value;
  }

  /**
   * Store a value of `bytes` (key included). Returns the unexpired values pushed out to make room;
   * a value larger than the whole budget is not stored (it would only empty the cache).
   */
  set(key: string, value: V, bytes: number): readonly V[] {
    const old = this.slots.get(key);
    if (old !== undefined) {
      this.slots.delete(key);
      this.used -= old.bytes;
    }
    if (bytes > this.limits.maxBytes) return NONE;
    const now = this.now();
    let evicted: V[] | undefined;
    while (this.slots.size >= this.limits.maxEntries || this.used + bytes > this.limits.maxBytes) {
      const [oldest, slot] = this.slots.entries().next().value as [string, Slot<V>];
      this.slots.delete(oldest);
      this.used -= slot.bytes;
      if (slot.expires > now) (evicted ??= []).push(slot.value);
    }
    this.slots.set(key, { value, bytes, expires: this.limits.ttlMs === undefined ? Infinity : now + this.limits.ttlMs });
    this.used += bytes;
    return evicted ?? NONE;
  }
}

/** What a cache entry costs beyond its key and tensor data: the Map slot, the entry, the outputs' Map and objects. */
const ENTRY_OVERHEAD_BYTES = 200;
const TENSOR_OVERHEAD_BYTES = 120;

interface Entry {
  version: string;
  outputs: Outputs;
}

export class PredictionCache {
  private readonly lru: Lru<Entry>;
  /** Runs under way by key: identical requests that arrive meanwhile wait for the same run. */
  private readonly running = new Map<string, Promise<Outputs>>();

  constructor(
    readonly limits: CacheLimits,
    /** Each lookup's outcome and each eviction, by the version whose entry it was (for the metrics). */
    private readonly onEvent: (event: CacheEvent, version: string) => void = () => {},
    now?: () => number,
  ) {
    this.lru = new Lru(limits, now);
  }

  get entries(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.bytes;
  }

  /**
   * The outputs of `version` for `inputs`: a copy of a stored answer (`cached`), or what `compute`
   * (the session, through the batcher) returns, which is then stored. Refusals are not stored.
   */
  async run(version: string, inputs: ReadonlyMap<string, HostTensor>, compute: () => Promise<Outputs>): Promise<{ outputs: Outputs; cached: boolean }> {
    const key = cacheKey(version, inputs);
    const entry = this.lru.get(key);
    if (entry !== undefined) {
      this.onEvent('hit', version);
      return { outputs: copyOutputs(entry.outputs), cached: true };
    }
    const running = this.running.get(key);
    if (running !== undefined) {
      this.onEvent('hit', version);
      return { outputs: copyOutputs(await running), cached: true };
    }
    this.onEvent('miss', version);
    const computed = compute();
    // The stored copy is taken before the caller gets the outputs, and detaches them from a batch's buffer.
    const stored = computed.then(copyOutputs);
    stored.catch(() => undefined); // a refusal reaches the callers; no one else needs to see it
    this.running.set(key, stored);
    try {
      const outputs = await computed;
      const copy = await stored;
      for (const pushed of this.lru.set(key, { version, outputs: copy }, entryBytes(key, copy))) this.onEvent('eviction', pushed.version);
      return { outputs, cached: false };
    } finally {
      this.running.delete(key);
    }
  }
}

/**
 * The canonical form of a request: the version, then each input (by name, whatever order the request
 * listed them in) as name, datatype, shape and byte length, then the inputs' raw little-endian bytes.
 * The same numbers sent as JSON, binary REST or gRPC are the same tensors by then, so they share an
 * entry. Requested outputs and binary-answer parameters are not part of it: every tensor output is
 * stored and each answer picks and encodes its own. A latin1 string keeps one byte per byte.
 */
export function cacheKey(version: string, inputs: ReadonlyMap<string, HostTensor>): string {
  const names = inputs.size === 1 ? [...inputs.keys()] : [...inputs.keys()].sort();
  const raws = names.map((name) => toRaw(inputs.get(name) as HostTensor));
  const header = JSON.stringify([version, names.map((name, i) => [name, (inputs.get(name) as HostTensor).datatype, (inputs.get(name) as HostTensor).shape, raws[i].length])]);
  return Buffer.concat([Buffer.from(`${header}\n`, 'utf8'), ...raws]).toString('latin1');
}

function entryBytes(key: string, outputs: Outputs): number {
  let bytes = ENTRY_OVERHEAD_BYTES + key.length;
  for (const [name, t] of outputs) bytes += TENSOR_OVERHEAD_BYTES + 2 * name.length + 8 * t.shape.length + dataBytes(t);
  return bytes;
}

function dataBytes(t: HostTensor): number {
  if (!Array.isArray(t.data)) return t.data.byteLength;
  // A string is about 16 bytes of header plus one or two bytes a character.
  let bytes = 8 * t.data.length;
  for (const s of t.data) bytes += 16 + 2 * s.length;
  return bytes;
}

/** Tensors no one else holds: a caller may do what it likes with them, and a stored entry stays as it was. */
function copyOutputs(outputs: Outputs): Outputs {
  const copy: Outputs = new Map();
  for (const [name, t] of outputs) copy.set(name, { datatype: t.datatype, shape: t.shape.slice(), data: t.data.slice() as HostTensor['data'] });
  return copy;
}
