/** A small map whose entries expire `ttlMs` after they were set; past `max` entries the oldest go first. */
export function ttlCache<K, V>(ttlMs: number, max: number, now: () => number) {
  const entries = new Map<K, { value: V; expires: number }>();
  return {
    get(key: K): V | undefined {
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.expires <= now()) {
        entries.delete(key);
        return undefined;
      }
      return e.value;
    },
    set(key: K, value: V): void {
      entries.delete(key);
      entries.set(key, { value, expires: now() + ttlMs });
      if (entries.size > max) entries.delete(entries.keys().next().value as K);
    },
  };
}
