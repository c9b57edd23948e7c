// A bounded map for the process-wide caches (certificates, paths, font layouts): plain, no I/O, no dependency.

/** A Map that forgets its oldest entries beyond `max` (insertion order; a hit refreshes the entry). */
export class BoundedCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): V {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
    return value;
  }

  delete(key: K): void {
    this.map.delete(key);
  }
}
