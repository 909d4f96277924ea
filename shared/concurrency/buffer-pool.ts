import { AppError } from '../errors/app-error';

/**
 * Buffers of one size, handed out and taken back, for a hot path that needs large buffers over
 * and over (pack ranges read by a restore or an export, upload fragments).
 *
 * Why not allocate each one: V8 starts a full (mark-compact) collection whenever the process's
 * external memory (Buffers) rises more than the old generation's headroom (11-15 MB in the worker)
 * above its lowest point since the last full collection, and a drive restore ran 4-7 a second
 * (30-45% of the worker's CPU samples). Reused buffers do not add to those swings. Measured, pooling
 * the 8 MiB runs and 3.2 MiB fragments alone did not lower the count (24 against 25-29 in a
 * `BENCH_SCALE=0.3` restore): decrypted chunks, small files' bytes and socket reads swing too
 * (docs/restore-export.md, "Third pass").
 *
 * At most `keepFree` buffers wait for reuse; they are let go after `idleMs` without a `take`, so an
 * idle worker gives the memory back.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  private lastTake = 0;
  private trim: NodeJS.Timeout | undefined;

  constructor(
    readonly bufferBytes: number,
    readonly keepFree: number,
    private readonly idleMs = 10_000,
  ) {
    if (!Number.isSafeInteger(bufferBytes) || bufferBytes < 1)
      throw new AppError(
        'invalid',
        `a buffer pool needs a whole number of bytes above 0, got ${bufferBytes}`,
      );
  }

  /** A buffer of `bufferBytes` (its content is whatever it held last). */
  take(): Buffer {
    this.lastTake = Date.now();
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.bufferBytes);
  }

  /**
   * Takes a buffer back for reuse. Give back only a buffer from `take` that nothing reads or
   * writes any more (no view of it is kept, no read into it is still running).
   */
  give(buffer: Buffer): void {
    if (buffer.length !== this.bufferBytes || this.free.length >= this.keepFree) return;
    this.free.push(buffer);
    this.trim ??= setTimeout(() => this.trimIdle(), this.idleMs).unref();
  }

  /** Buffers waiting for reuse (for tests and metrics). */
  get freeCount(): number {
    return this.free.length;
  }

  private trimIdle(): void {
    this.trim = undefined;
    const idleFor = Date.now() - this.lastTake;
    if (idleFor >= this.idleMs) this.free.length = 0;
    else if (this.free.length > 0)
      this.trim = setTimeout(() => this.trimIdle(), this.idleMs - idleFor).unref();
  }
}
