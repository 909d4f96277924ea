/**
 * Bytes a worker lets its restores hold in memory at once (file contents on their way to Graph).
 * First come, first served: a request waits until the bytes before it are released, so a large
 * request is not starved by small ones. A request larger than the whole budget takes all of it.
 *
 * Restore's own for now; the backup worker's budget (BACKUP_BUFFER_MB, shared/concurrency) is
 * being built beside it, and the two can become one primitive once both have settled.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiting: { bytes: number; resolve: () => void }[] = [];

  constructor(readonly limitBytes: number) {
    if (!Number.isSafeInteger(limitBytes) || limitBytes <= 0)
      throw new RangeError(`a byte budget needs a positive whole number of bytes, not ${limitBytes}`);
  }

  /** Waits for `bytes` (at most the whole budget) and returns their release (idempotent). */
  async acquire(bytes: number): Promise<() => void> {
    const want = Math.max(0, Math.min(bytes, this.limitBytes));
    if (this.waiting.length === 0 && this.used + want <= this.limitBytes) {
      this.used += want;
    } else {
      await new Promise<void>((resolve) => this.waiting.push({ bytes: want, resolve }));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= want;
      this.grant();
    };
  }

  /** Bytes held now. */
  get inUse(): number {
    return this.used;
  }

  private grant(): void {
    for (
      let next = this.waiting[0];
      next && this.used + next.bytes <= this.limitBytes;
      next = this.waiting[0]
    ) {
      this.waiting.shift();
      this.used += next.bytes;
      next.resolve();
    }
  }
}
