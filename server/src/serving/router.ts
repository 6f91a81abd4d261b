import type { IncomingHttpHeaders } from 'node:http';
import type { EndpointConfig, TrafficShare } from './config';

/**
 * 32-bit FNV-1a over the UTF-8 bytes. Stable across processes and Node versions (unlike anything
 * seeded per process), so a sticky caller lands on the same version after a restart.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * MurmurHash3's 32-bit finalizer. FNV-1a's high bits barely change with the last bytes of a key, so
 * ids that differ only at the end (user-0 … user-39) would crowd into one part of [0, 1) — a 70/30 split
 * gave them 10/30. The finalizer spreads every input bit over the whole word.
 */
export function fmix32(hash: number): number {
  let h = hash >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A caller's fixed position in [0, 1) for an endpoint. The endpoint name is part of the key so that
 * one user's assignments on different endpoints are independent.
 */
export function stickyPosition(endpoint: string, key: string): number {
  return fmix32(fnv1a32(`${endpoint}\u0000${key}`)) / 2 ** 32;
}

/**
 * The share covering position u ∈ [0, 1) when the shares are laid end to end in version order.
 * With two versions, moving percent from one to the other only moves callers toward the one that grew.
 */
export function pickShare(shares: readonly TrafficShare[], u: number): string {
  let end = 0;
  for (const share of shares) {
    end += share.percent / 100;
    if (share.percent > 0 && u < end) return share.version;
  }
  // Rounding in the running sum can leave u just past the end: the last share with traffic takes it.
  const last = [...shares].reverse().find((s) => s.percent > 0) ?? shares[shares.length - 1];
  return last.version;
}

export interface Route {
  version: string;
  /** The header value that decided it, when the endpoint is sticky and the caller sent one. */
  stickyKey?: string;
}

export function routeRequest(endpoint: EndpointConfig, headers: IncomingHttpHeaders, random: () => number = Math.random): Route {
  const header = endpoint.stickyHeader ? headers[endpoint.stickyHeader] : undefined;
  const key = Array.isArray(header) ? header[0] : header;
  if (key !== undefined && key !== '') return { version: pickShare(endpoint.traffic, stickyPosition(endpoint.name, key)), stickyKey: key };
  return { version: pickShare(endpoint.traffic, random()) };
}

/** The version to shadow this request to, if any: never the one that already answered it. */
export function mirrorTarget(endpoint: EndpointConfig, served: string, random: () => number = Math.random): string | undefined {
  const mirror = endpoint.mirror;
  if (!mirror || mirror.version === served || mirror.percent <= 0) return undefined;
  return random() * 100 < mirror.percent ? mirror.version : undefined;
}
