import { afterEach, describe, expect, it, vi } from 'vitest';
import { BufferPool } from '../../../shared/concurrency/buffer-pool';

describe('BufferPool', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands the same buffer out again once it is given back, instead of allocating another', () => {
    const pool = new BufferPool(1024, 2);
    const first = pool.take();
    expect(first.length).toBe(1024);
    pool.give(first);
    expect(pool.take()).toBe(first);
    expect(pool.take()).not.toBe(first);
  });

  it('keeps at most keepFree buffers, and none of another size', () => {
    const pool = new BufferPool(1024, 2);
    const taken = [pool.take(), pool.take(), pool.take()];
    for (const buffer of taken) pool.give(buffer);
    expect(pool.freeCount).toBe(2);
    pool.give(Buffer.alloc(512));
    expect(pool.freeCount).toBe(2);
  });

  it('lets its buffers go after being idle, so an idle worker gives the memory back', () => {
    vi.useFakeTimers();
    const pool = new BufferPool(1024, 4, 10_000);
    pool.give(pool.take());
    vi.advanceTimersByTime(5_000);
    // Used again: the idle clock starts over.
    pool.give(pool.take());
    vi.advanceTimersByTime(6_000);
    expect(pool.freeCount).toBe(1);
    vi.advanceTimersByTime(5_000);
    expect(pool.freeCount).toBe(0);
  });

  it('refuses a size that is not a whole number of bytes above 0', () => {
    expect(() => new BufferPool(0, 1)).toThrow(/whole number of bytes/);
    expect(() => new BufferPool(1.5, 1)).toThrow(/whole number of bytes/);
  });
});
