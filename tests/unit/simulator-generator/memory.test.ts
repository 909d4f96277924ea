import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { defaultShape, generateTenant } from '../../../dev/simulator/generator/index';

// A collectable heap measurement without starting node with --expose-gc.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

describe('a large tenant (100 users x 2,000 messages)', () => {
  it('stays small in memory (time reported)', () => {
    gc();
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    const tenant = generateTenant({
      seed: 1,
      tenantIndex: 0,
      shape: { ...defaultShape(), users: 100, messagesPerMailbox: 2000 },
      now: new Date('2026-11-01T00:00:00Z'),
    });
    const ms = performance.now() - started;
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    const messages = tenant.users.reduce(
      (n, u) => n + (u.mailbox?.folders.reduce((k, f) => k + f.messages.length, 0) ?? 0),
      0,
    );
    console.log(
      `generateTenant 100 x 2,000: ${(ms / 1000).toFixed(1)} s, heap +${(grown / 1e6).toFixed(0)} MB (${Math.round(grown / messages)} bytes/message)`,
    );
    expect(messages).toBe(200_000);
    expect(grown).toBeLessThan(300 * 1024 * 1024);
  }, 120_000);
});
