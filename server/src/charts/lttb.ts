/**
 * Largest-Triangle-Three-Buckets downsampling (Steinarsson, 2013): keeps the first and the last
 * point and, from each of `threshold - 2` equal buckets in between, the point that forms the
 * largest triangle with the point kept before it and the average of the next bucket. Peaks and
 * dips survive; flat stretches cost one point per bucket.
 *
 * Points whose x or y is not finite (NaN, ±Infinity) cannot be drawn: they are skipped, never kept.
 */

export interface Downsampled {
  /** Indices into the input arrays of the kept points, ascending. */
  indices: Uint32Array;
  xs: Float64Array;
  ys: Float64Array;
}

/** Indices of the points LTTB keeps; `xs` must be ascending (ties allowed). */
export function lttbIndices(xs: ArrayLike<number>, ys: ArrayLike<number>, threshold: number): Uint32Array {
  const n = Math.min(xs.length, ys.length);
  // The drawable points.
  let finite = new Uint32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) if (Number.isFinite(xs[i]) && Number.isFinite(ys[i])) finite[m++] = i;
  finite = finite.subarray(0, m);
  const t = Math.max(0, Math.floor(threshold));
  if (t >= m || m <= 2) return finite.slice();
  if (t === 0) return new Uint32Array(0);
  if (t === 1) return Uint32Array.of(finite[0]);
  if (t === 2) return Uint32Array.of(finite[0], finite[m - 1]);

  const out = new Uint32Array(t);
  let kept = 0;
  out[kept++] = finite[0];
  const every = (m - 2) / (t - 2);
  let a = 0; // position (in `finite`) of the last kept point
  for (let b = 0; b < t - 2; b++) {
    // Average of the next bucket (the last point alone for the last bucket).
    let nextStart = Math.floor((b + 1) * every) + 1;
    let nextEnd = Math.min(Math.floor((b + 2) * every) + 1, m);
    if (nextStart >= m - 1) {
      nextStart = m - 1;
      nextEnd = m;
    }
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += xs[finite[j]];
      avgY += ys[finite[j]];
    }
    const count = nextEnd - nextStart;
    avgX /= count;
    avgY /= count;

    const start = Math.floor(b * every) + 1;
    const end = Math.min(Math.floor((b + 1) * every) + 1, m - 1);
    const ax = xs[finite[a]];
    const ay = ys[finite[a]];
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const x = xs[finite[j]];
      const y = ys[finite[j]];
      const area = Math.abs((ax - avgX) * (y - ay) - (ax - x) * (avgY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    out[kept++] = finite[best];
    a = best;
  }
  out[kept++] = finite[m - 1];
  return out.subarray(0, kept);
}

/** Downsample (xs, ys) to at most `threshold` points; the first and last drawable points are kept. */
export function lttb(xs: ArrayLike<number>, ys: ArrayLike<number>, threshold: number): Downsampled {
  const indices = lttbIndices(xs, ys, threshold);
  const ox = new Float64Array(indices.length);
  const oy = new Float64Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    ox[i] = xs[indices[i]];
    oy[i] = ys[indices[i]];
  }
  return { indices, xs: ox, ys: oy };
}
