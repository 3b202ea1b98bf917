/**
 * A set of ids in 1..2^31-1 as a paged bitmap: 8 KiB per 65,536-id page, allocated on first use.
 * Ten million dense ids take ~1.2 MiB, where a Set<number> would take hundreds.
 */
const PAGE_BITS = 16;
const PAGE_MASK = (1 << PAGE_BITS) - 1;

export class IdSet {
  private readonly pages = new Map<number, Uint32Array>();

  has(id: number): boolean {
    const page = this.pages.get(id >>> PAGE_BITS);
    if (!page) return false;
    const bit = id & PAGE_MASK;
    return (page[bit >>> 5] & (1 << (bit & 31))) !== 0;
  }

  add(id: number): void {
    let page = this.pages.get(id >>> PAGE_BITS);
    if (!page) this.pages.set(id >>> PAGE_BITS, (page = new Uint32Array(1 << (PAGE_BITS - 5))));
    const bit = id & PAGE_MASK;
    page[bit >>> 5] |= 1 << (bit & 31);
  }
}
