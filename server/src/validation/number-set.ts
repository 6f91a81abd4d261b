/**
 * A set of doubles in open addressing over one typed array: what `unique` keeps for a numeric
 * column. A million ids in a JavaScript Set cost more than reading them. Whole numbers hash to
 * themselves (folded), so the usual ids — counting up — land side by side and stay in cache.
 */
const EMPTY = -Infinity;

export class NumberSet {
  private keys = new Float64Array(1024).fill(EMPTY);
  private size = 0;
  /** -Infinity marks empty slots, so it is kept apart. */
  private hasEmptyMarker = false;
  private hasNaN = false;
  private readonly view = new Float64Array(1);
  private readonly bits = new Int32Array(this.view.buffer);

  /** Adds `value`; false when it was there already. -0 and 0 are one value, as in a Set. */
  add(value: number): boolean {
    if (value === EMPTY) return this.hasEmptyMarker ? false : (this.hasEmptyMarker = true);
    if (value !== value) return this.hasNaN ? false : (this.hasNaN = true);
    if (value === 0) value = 0;
    if ((this.size + 1) * 4 > this.keys.length * 3) this.grow();
    const keys = this.keys;
    const mask = keys.length - 1;
    let i = this.hash(value) & mask;
    for (;;) {
      const k = keys[i];
      if (k === EMPTY) break;
      if (k === value) return false;
      i = (i + 1) & mask;
    }
    keys[i] = value;
    this.size++;
    return true;
  }

  private hash(value: number): number {
    if ((value | 0) === value) return value ^ (value >>> 20);
    this.view[0] = value;
    const h = Math.imul(this.bits[0] ^ Math.imul(this.bits[1], 0x85ebca6b), 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  private grow(): void {
    const old = this.keys;
    this.keys = new Float64Array(old.length * 2).fill(EMPTY);
    const mask = this.keys.length - 1;
    for (let j = 0; j < old.length; j++) {
      const v = old[j];
      if (v === EMPTY) continue;
      let i = this.hash(v) & mask;
      while (this.keys[i] !== EMPTY) i = (i + 1) & mask;
      this.keys[i] = v;
    }
  }
}
