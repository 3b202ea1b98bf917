/**
 * A set of ids in 0..2^32-1 whose size follows the ids present (a roaring bitmap, without the native
 * addon). Ids are grouped by their high 16 bits; each group holds its low 16 bits either as a sorted
 * Uint16Array (while it has at most 4096 of them: 2 bytes an id) or as a 65,536-bit bitmap (8 KiB, which
 * is smaller from then on). A million dense ids take ~130 KiB, a million ids scattered over 1..2^31 a few
 * MiB, where a Set<number> would take tens of MiB and a bitmap page per group hundreds.
 */
const ARRAY_MAX = 4096;
const BITMAP_WORDS = 1 << 11;

class Container {
  /** Sorted low halves while this container is an array; empty once it is a bitmap. */
  values = new Uint16Array(4);
  size = 0;
  bits: Uint32Array | null = null;

  has(low: number): boolean {
    const bits = this.bits;
    if (bits !== null) return (bits[low >>> 5] & (1 << (low & 31))) !== 0;
    const size = this.size;
    const values = this.values;
    if (size > 0 && values[size - 1] === low) return true;
    return this.search(low) >= 0;
  }

  add(low: number): void {
    const bits = this.bits;
    if (bits !== null) {
      bits[low >>> 5] |= 1 << (low & 31);
      return;
    }
    const size = this.size;
    // Ids mostly arrive in ascending order: appending is the fast path.
    if (size === 0 || this.values[size - 1] < low) {
      this.insertAt(size, low);
      return;
    }
    const at = this.search(low);
    if (at < 0) this.insertAt(-at - 1, low);
  }

  /** Index of low, or -(insertion point) - 1. */
  private search(low: number): number {
    const values = this.values;
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = values[mid];
      if (v < low) lo = mid + 1;
      else if (v > low) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  private insertAt(at: number, low: number): void {
    if (this.size === ARRAY_MAX) {
      this.toBitmap(low);
      return;
    }
    if (this.size === this.values.length) {
      const grown = new Uint16Array(Math.min(ARRAY_MAX, this.values.length * 2));
      grown.set(this.values);
      this.values = grown;
    }
    const values = this.values;
    if (at < this.size) values.copyWithin(at + 1, at, this.size);
    values[at] = low;
    this.size++;
  }

  private toBitmap(low: number): void {
    const bits = new Uint32Array(BITMAP_WORDS);
    for (let i = 0; i < this.size; i++) {
      const v = this.values[i];
      bits[v >>> 5] |= 1 << (v & 31);
    }
    bits[low >>> 5] |= 1 << (low & 31);
    this.bits = bits;
    this.values = new Uint16Array(0);
  }
}

export class IdSet {
  private readonly containers = new Map<number, Container>();
  // The container of the last id looked at: consecutive ids mostly share it.
  private lastKey = -1;
  private last: Container | undefined;

  has(id: number): boolean {
    const c = this.container(id >>> 16);
    return c?.has(id & 0xffff) ?? false;
  }

  add(id: number): void {
    const key = id >>> 16;
    let c = this.container(key);
    if (c === undefined) {
      c = new Container();
      this.containers.set(key, c);
      this.lastKey = key;
      this.last = c;
    }
    c.add(id & 0xffff);
  }

  private container(key: number): Container | undefined {
    if (key === this.lastKey) return this.last;
    const c = this.containers.get(key);
    if (c !== undefined) {
      this.lastKey = key;
      this.last = c;
    }
    return c;
  }
}
