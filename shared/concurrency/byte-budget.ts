import { AppError } from '../errors/app-error';

/** A hold on part of a `ByteBudget`; `release` gives it back (calling it again does nothing). */
export interface ByteGrant {
  readonly bytes: number;
  release(): void;
}

/**
 * A byte-weighted semaphore: at most `capacity` bytes held at once across every caller, granted in
 * arrival order (a large request is not starved by a stream of small ones). A request larger than
 * the whole budget is granted `capacity` bytes, so it runs alone rather than never.
 *
 * Callers take one grant for everything they will buffer before they buffer it, and never wait
 * for a second grant while holding one: that is what keeps a shared budget free of deadlock.
 */
export class ByteBudget {
  private held = 0;
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new AppError('invalid', `a byte budget needs a whole number of bytes above 0, got ${capacity}`);
  }

  /** Waits until `bytes` (at most `capacity`) are free, then holds them until released. */
  async acquire(bytes: number): Promise<ByteGrant> {
    if (!Number.isFinite(bytes) || bytes < 0)
      throw new AppError('invalid', `cannot acquire ${bytes} bytes from a byte budget`);
    const wanted = Math.min(Math.ceil(bytes), this.capacity);
    if (this.waiting.length === 0 && this.held + wanted <= this.capacity) {
      this.held += wanted;
    } else {
      await new Promise<void>((grant) => this.waiting.push({ bytes: wanted, grant }));
    }
    let released = false;
    return {
      bytes: wanted,
      release: () => {
        if (released) return;
        released = true;
        this.held -= wanted;
        this.grantWaiting();
      },
    };
  }

  /** Bytes held now. */
  get inUse(): number {
    return this.held;
  }

  /** Requests waiting for bytes. */
  get queued(): number {
    return this.waiting.length;
  }

  private grantWaiting(): void {
    for (
      let next = this.waiting[0];
      next && this.held + next.bytes <= this.capacity;
      next = this.waiting[0]
    ) {
      this.waiting.shift();
      this.held += next.bytes;
      next.grant();
    }
  }
}
