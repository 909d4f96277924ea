/** A small LRU of recently read chunks, bounded by bytes (Map keeps insertion order). */
export class ByteLruCache {
  private readonly items = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): Buffer | undefined {
    const value = this.items.get(key);
    if (value) {
      this.items.delete(key);
      this.items.set(key, value);
    }
    return value;
  }

  set(key: string, value: Buffer): void {
    if (value.length > this.maxBytes / 4) return; // a big chunk would evict everything useful
    const old = this.items.get(key);
    if (old) {
      this.bytes -= old.length;
      this.items.delete(key);
    }
    this.items.set(key, value);
    this.bytes += value.length;
    for (const [k, v] of this.items) {
      if (this.bytes <= this.maxBytes) break;
      this.items.delete(k);
      this.bytes -= v.length;
    }
  }
}
