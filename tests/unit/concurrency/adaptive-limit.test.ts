import { describe, expect, it } from 'vitest';
import { AdaptiveLimit, type LimitSlot } from '../../../shared/concurrency/adaptive-limit';

async function take(limit: AdaptiveLimit, n: number): Promise<LimitSlot[]> {
  return Promise.all(Array.from({ length: n }, () => limit.acquire()));
}

describe('AdaptiveLimit', () => {
  it('lets requests through up to its limit and queues the rest in order', async () => {
    const limit = new AdaptiveLimit({ initial: 2, min: 1, max: 2 });
    const [a, b] = await take(limit, 2);
    const order: string[] = [];
    const c = limit.acquire().then((slot) => (order.push('c'), slot));
    const d = limit.acquire().then((slot) => (order.push('d'), slot));
    await Promise.resolve();
    expect(limit.inUse).toBe(2);
    expect(order).toEqual([]);
    a!.release('ok');
    (await c).release('ok');
    b!.release('ok');
    (await d).release('ok');
    expect(order).toEqual(['c', 'd']);
    expect(limit.inUse).toBe(0);
  });

  it('halves on a throttled answer, once for a whole burst sent before the cut', async () => {
    const limit = new AdaptiveLimit({ initial: 16, min: 2, max: 64 });
    const slots = await take(limit, 16);
    for (const slot of slots) slot.release('throttled');
    expect(limit.limit).toBe(8);

    // Sent after the cut: a throttle now cuts again, and never below the minimum.
    for (const expected of [4, 2, 2]) {
      const [first, ...others] = await take(limit, limit.limit);
      first!.release('throttled');
      for (const slot of others) slot.release('throttled');
      expect(limit.limit).toBe(expected);
    }
  });

  it('halves what was in flight, not an unused limit', async () => {
    const limit = new AdaptiveLimit({ initial: 64, min: 2, max: 64 });
    const slots = await take(limit, 10);
    slots[0]!.release('throttled');
    expect(limit.limit).toBe(5);
  });

  it('grows by about one per round of answers that are not throttled, up to its maximum', async () => {
    const limit = new AdaptiveLimit({ initial: 4, min: 1, max: 6 });
    for (let round = 0; round < 2; round++) {
      const slots = await take(limit, limit.limit);
      for (const slot of slots) slot.release('ok');
    }
    expect(limit.limit).toBe(5);
    for (let i = 0; i < 100; i++) (await limit.acquire()).release('ok');
    expect(limit.limit).toBe(6);
    // Failures that say nothing about the service's capacity leave it alone.
    (await limit.acquire()).release('ignored');
    expect(limit.limit).toBe(6);
  });

  it('rejects a limit that cannot hold', () => {
    expect(() => new AdaptiveLimit({ initial: 0, min: 1, max: 4 })).toThrow(/1 <= min <= initial <= max/);
  });
});
