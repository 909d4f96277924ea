import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../shared/restore/byte-budget';

describe('the restore worker byte budget', () => {
  it('holds requests beyond the budget until bytes are released, first come first served', async () => {
    const budget = new ByteBudget(10);
    const first = await budget.acquire(6);
    const order: string[] = [];
    const large = budget.acquire(8).then((release) => (order.push('large'), release));
    const small = budget.acquire(1).then((release) => (order.push('small'), release));
    await Promise.resolve();
    // The small request fits, but waits behind the large one so that it is not starved.
    expect(order).toEqual([]);
    expect(budget.inUse).toBe(6);
    first();
    const releaseLarge = await large;
    const releaseSmall = await small;
    expect(order).toEqual(['large', 'small']);
    expect(budget.inUse).toBe(9);
    releaseLarge();
    releaseLarge(); // idempotent
    releaseSmall();
    expect(budget.inUse).toBe(0);
  });

  it('lets a request larger than the whole budget take all of it rather than wait forever', async () => {
    const budget = new ByteBudget(4);
    const release = await budget.acquire(100);
    expect(budget.inUse).toBe(4);
    release();
    expect(budget.inUse).toBe(0);
    expect(() => new ByteBudget(0)).toThrow(/positive whole number of bytes/);
  });
});
