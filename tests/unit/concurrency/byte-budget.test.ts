import { describe, expect, it } from 'vitest';
import { ByteBudget, type ByteGrant } from '../../../shared/concurrency/byte-budget';

/** Lets every promise callback that is ready run (no timers: grants resolve through microtasks). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('byte budget', () => {
  it('never holds more than its capacity, however many callers ask at once', async () => {
    const budget = new ByteBudget(10);
    let held = 0;
    let most = 0;
    await Promise.all(
      [4, 3, 5, 2, 6, 1, 4].map(async (bytes) => {
        const grant = await budget.acquire(bytes);
        held += grant.bytes;
        most = Math.max(most, held);
        await settle();
        held -= grant.bytes;
        grant.release();
      }),
    );
    expect(most).toBeLessThanOrEqual(10);
    expect(most).toBeGreaterThan(5); // and it did let several run together
    expect(budget.inUse).toBe(0);
    expect(budget.queued).toBe(0);
  });

  it('grants in arrival order: a large request is not overtaken by later small ones', async () => {
    const budget = new ByteBudget(10);
    const first = await budget.acquire(6);
    const order: string[] = [];
    const large = budget.acquire(8).then((grant) => (order.push('large'), grant));
    const small = budget.acquire(1).then((grant) => (order.push('small'), grant));
    await settle();
    expect(order).toEqual([]); // 4 bytes are free, but the small request waits behind the large one
    first.release();
    const grants: ByteGrant[] = [await large, await small];
    expect(order).toEqual(['large', 'small']);
    expect(budget.inUse).toBe(9);
    for (const grant of grants) grant.release();
    expect(budget.inUse).toBe(0);
  });

  it('lets a request larger than the whole budget run alone instead of never', async () => {
    const budget = new ByteBudget(10);
    const small = await budget.acquire(3);
    let huge: ByteGrant | undefined;
    const pending = budget.acquire(50).then((grant) => (huge = grant));
    await settle();
    expect(huge).toBeUndefined();
    small.release();
    await pending;
    expect(huge!.bytes).toBe(10);
    expect(budget.inUse).toBe(10);
    huge!.release();
    expect(budget.inUse).toBe(0);
  });

  it('counts a grant released twice only once', async () => {
    const budget = new ByteBudget(10);
    const grant = await budget.acquire(7);
    grant.release();
    grant.release();
    expect(budget.inUse).toBe(0);
    const next = await budget.acquire(10);
    expect(next.bytes).toBe(10);
  });

  it('rejects a capacity or a request that is not a byte count, saying what it got', async () => {
    expect(() => new ByteBudget(0)).toThrow(/above 0, got 0/);
    expect(() => new ByteBudget(Number.NaN)).toThrow(/got NaN/);
    await expect(new ByteBudget(10).acquire(-1)).rejects.toThrow(/cannot acquire -1 bytes/);
  });
});
