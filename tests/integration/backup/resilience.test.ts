import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSnapshotJob, type SnapshotEngineDependencies } from '../../../shared/backup/snapshot-engine';
import { containerNameForTenant, type Repository } from '../../../shared/repository';
import type { Resource } from '../../../shared/resources/resource';
import { BackupStack } from '../../support/backup-stack';
import { simulatorDrive, simulatorMailbox, snapshotContents } from './expected-state';

const shape = {
  users: 2,
  usersWithoutMailbox: 0,
  guests: 0,
  messagesPerMailbox: 30,
  customFoldersPerMailbox: 2,
  filesPerDrive: 10,
  sites: 0,
  groups: 0,
  maxFileBytes: 2 * 1024 * 1024,
};

/** Fails the N-th write the engine makes (after the write itself went through, like a process dying). */
class CrashInjector {
  readonly steps: string[] = [];
  /** Crash after the n-th write of this kind (e.g. the 2nd `repository.flush`). */
  crashAfter: { step: string; occurrence: number } | undefined;
  after(step: string): void {
    this.steps.push(step);
    const target = this.crashAfter;
    if (target && step === target.step && this.steps.filter((s) => s === step).length === target.occurrence) {
      throw new Error(`injected crash after ${step} #${target.occurrence}`);
    }
  }
}

function wrap<T extends object>(target: T, methods: string[], name: string, injector: CrashInjector): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(object);
      if (!methods.includes(String(property))) return bound;
      return async (...args: unknown[]) => {
        const result = await bound(...args);
        injector.after(`${name}.${String(property)}`);
        return result;
      };
    },
  });
}

function crashing(deps: SnapshotEngineDependencies, injector: CrashInjector): SnapshotEngineDependencies {
  const repositories = new Map<string, Promise<Repository>>();
  return {
    ...deps,
    snapshots: wrap(deps.snapshots, ['put'], 'snapshots', injector),
    runs: wrap(deps.runs, ['writeRun', 'writeCheckpoint', 'deleteRun'], 'runs', injector),
    resources: wrap(deps.resources, ['update'], 'resources', injector),
    totals: wrap(deps.totals, ['apply'], 'totals', injector),
    queue: wrap(deps.queue, ['send'], 'queue', injector),
    repositoryFor: (tenantId) => {
      let repository = repositories.get(tenantId);
      if (!repository) {
        repository = deps
          .repositoryFor(tenantId)
          .then((r) =>
            wrap(r, ['flush', 'putStream', 'putSegments', 'putBuffer', 'putTree'], 'repository', injector),
          );
        repositories.set(tenantId, repository);
      }
      return repository;
    },
  };
}

/** Item ids in a snapshot appear once each. */
async function duplicateIds(repository: Repository, root: string): Promise<string[]> {
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for await (const { entry } of repository.walk(root)) {
    if (entry.kind === 'folder' || !entry.itemId) continue;
    if (seen.has(entry.itemId)) duplicates.push(entry.itemId);
    seen.add(entry.itemId);
  }
  return duplicates;
}

describe('backup resilience', () => {
  let stack: BackupStack;
  let user: { id: string; driveId: string | null; userPrincipalName: string };
  let mailbox: Resource;
  let drive: Resource;

  beforeAll(async () => {
    stack = await BackupStack.start({ shape, seed: 11 });
    await stack.onboard();
    const tenant = await stack.simulator.control.tenant(stack.tenantId);
    user = tenant.users.find((u) => u.hasMailbox && u.driveId)!;
    mailbox = await stack.protect('mailbox', user.id, user.userPrincipalName);
    drive = await stack.protect('onedrive', user.id, user.userPrincipalName);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('splits a snapshot into time-boxed slices that resume where they stopped', async () => {
    const base = stack.deps;
    stack.deps.budgetSeconds = 0; // every page is the end of a slice
    try {
      const outcomes = await stack.snapshotOutcomes(mailbox.resourceId);
      expect(outcomes.filter((o) => o.kind === 'continued').length).toBeGreaterThan(1);
      const last = outcomes[outcomes.length - 1]!;
      expect(last.kind).toBe('finished');
      if (last.kind !== 'finished') return;
      expect(last.record.slices).toBe(outcomes.length);
      const repository = await base.repositoryFor(stack.tenantId);
      expect(await snapshotContents(repository, last.record.manifestRoot!)).toEqual(
        await simulatorMailbox(stack.simulator, stack.tenantId, user.id),
      );
    } finally {
      stack.deps.budgetSeconds = 300;
    }
  });

  it('recovers from a crash after any write step: nothing lost, nothing duplicated', async () => {
    const original = { ...stack.deps };
    const injector = new CrashInjector();
    // A clean incremental run with slices, to count the writes one run makes.
    await stack.simulator.control.activity(stack.tenantId, 0.2, 1);
    Object.assign(stack.deps, crashing(original, injector), { budgetSeconds: 0 });
    try {
      await stack.snapshot(mailbox.resourceId);
      const kinds = [...new Set(injector.steps)];
      expect(kinds).toEqual(
        expect.arrayContaining([
          'repository.putSegments',
          'repository.flush',
          'runs.writeRun',
          'queue.send',
          'runs.writeCheckpoint',
          'snapshots.put',
          'resources.update',
          'totals.apply',
        ]),
      );
      const points = kinds.flatMap((step) =>
        injector.steps.filter((s) => s === step).length > 1
          ? [
              { step, occurrence: 1 },
              { step, occurrence: 2 },
            ]
          : [{ step, occurrence: 1 }],
      );
      const crashedAfter = new Set<string>();
      for (const [index, point] of points.entries()) {
        await stack.simulator.control.activity(stack.tenantId, 0.1, 100 + index);
        injector.steps.length = 0;
        injector.crashAfter = point;
        // A run with fewer changes than the counting run may not reach this write: then it is a clean run.
        const crashed = await stack.snapshot(mailbox.resourceId).then(
          () => false,
          (error: Error) => {
            expect(error.message).toMatch(/injected crash/);
            return true;
          },
        );
        if (crashed) crashedAfter.add(`${point.step} #${point.occurrence}`);
        injector.crashAfter = undefined;
        // The queue delivers the message again: the run resumes (or, if it had committed, runs again).
        const record = await stack.snapshot(mailbox.resourceId);
        expect(record.status).toBe('completed');
        const repository = await original.repositoryFor(stack.tenantId);
        const expected = await simulatorMailbox(stack.simulator, stack.tenantId, user.id);
        expect(await snapshotContents(repository, record.manifestRoot!)).toEqual(expected);
        expect(await duplicateIds(repository, record.manifestRoot!)).toEqual([]);
        expect(record.items).toBe(expected.size);
      }
      // A crash after the first of every kind of write the engine makes, and recovery from each.
      for (const step of kinds) expect([...crashedAfter]).toContain(`${step} #1`);
      const repository = await original.repositoryFor(stack.tenantId);
      const last = await stack.deps.resources.get(stack.tenantId, mailbox.resourceId);
      const final = await stack.deps.snapshots.get(last.lastGoodSnapshotId!);
      const verify = await repository.verify(final.manifestRoot!, { readData: true });
      expect(verify.problems).toEqual([]);
    } finally {
      Object.assign(stack.deps, original, { budgetSeconds: 300 });
    }
  });

  it('completes correctly through throttling, 503s and connection resets', async () => {
    await stack.simulator.control.activity(stack.tenantId, 0.3, 7);
    await stack.simulator.control.addFault({
      kind: 'status',
      path: '/messages/.*\\$value',
      status: 429,
      retryAfter: 1,
      count: 3,
    });
    await stack.simulator.control.addFault({
      kind: 'status',
      path: '/messages/delta',
      status: 503,
      retryAfter: 1,
      count: 2,
    });
    await stack.simulator.control.addFault({ kind: 'reset', path: '/messages/.*\\$value', count: 2 });
    await stack.simulator.control.addFault({ kind: 'status', path: '/root/delta', status: 503, count: 2 });
    await stack.simulator.control.addFault({ kind: 'reset', path: '/_dl/', count: 2 });
    const mail = await stack.snapshot(mailbox.resourceId);
    const files = await stack.snapshot(drive.resourceId);
    const faults = await stack.simulator.control.faults();
    expect(faults.every((f) => f.remaining === 0)).toBe(true);
    await stack.simulator.control.clearFaults();
    expect(mail.status).toBe('completed');
    expect(files.status).toBe('completed');
    expect(mail.throttledRequests).toBeGreaterThanOrEqual(3);
    const repository = await stack.deps.repositoryFor(stack.tenantId);
    expect(await snapshotContents(repository, mail.manifestRoot!)).toEqual(
      await simulatorMailbox(stack.simulator, stack.tenantId, user.id),
    );
    expect(await snapshotContents(repository, files.manifestRoot!)).toEqual(
      await simulatorDrive(stack.simulator, stack.tenantId, user.driveId!),
    );
  });

  it('resynchronises in full after expired delta tokens, without gaps or duplicates or new downloads', async () => {
    const tree = await stack.simulator.control.mailbox(stack.tenantId, user.id);
    for (const folder of tree.folders) {
      await stack.simulator.control.expireDelta(stack.tenantId, {
        kind: 'messages',
        userId: user.id,
        folderId: folder.id,
      });
    }
    await stack.simulator.control.expireDelta(stack.tenantId, { kind: 'drive', driveId: user.driveId! });
    await stack.simulator.control.activity(stack.tenantId, 0.1, 9);
    const mail = await stack.snapshot(mailbox.resourceId);
    const files = await stack.snapshot(drive.resourceId);
    const repository = await stack.deps.repositoryFor(stack.tenantId);
    const expectedMail = await simulatorMailbox(stack.simulator, stack.tenantId, user.id);
    expect(await snapshotContents(repository, mail.manifestRoot!)).toEqual(expectedMail);
    expect(await duplicateIds(repository, mail.manifestRoot!)).toEqual([]);
    expect(await snapshotContents(repository, files.manifestRoot!)).toEqual(
      await simulatorDrive(stack.simulator, stack.tenantId, user.driveId!),
    );
    expect(await duplicateIds(repository, files.manifestRoot!)).toEqual([]);
    // Known messages are not downloaded again: far fewer MIME reads than messages.
    const counters = await stack.simulator.control.counters();
    expect(mail.items).toBe(expectedMail.size);
    expect(counters.total).toBeGreaterThan(0);
  });

  it('never runs two workers on one resource: the second waits', async () => {
    await stack.simulator.control.activity(stack.tenantId, 0.1, 13);
    const job = {
      tenantId: stack.tenantId,
      resourceId: mailbox.resourceId,
      reason: 'manual' as const,
      runId: 'two-workers',
      requestedAt: new Date().toISOString(),
    };
    const outcomes = await Promise.all([runSnapshotJob(stack.deps, job), runSnapshotJob(stack.deps, job)]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['deferred', 'finished']);
  });

  it('stores no plaintext: a known message body is nowhere in the repository blobs', async () => {
    const marker = `Confidential-${Date.now()}-Quarterly-Numbers`;
    const mime = Buffer.from(
      `From: a@example.org\r\nTo: b@example.org\r\nSubject: ${marker}\r\nMIME-Version: 1.0\r\n` +
        `Content-Type: text/plain; charset=utf-8\r\n\r\n${marker.repeat(50)}\r\n`,
    );
    await stack.simulator.control.deliverMessage(stack.tenantId, user.id, mime, { folder: 'inbox' });
    const record = await stack.snapshot(mailbox.resourceId);
    const repository = await stack.deps.repositoryFor(stack.tenantId);
    const found = await stack.reader.search(stack.tenantId, record.snapshotId, { text: marker });
    expect(found).toHaveLength(1);
    const container = stack.storage.blobs.getContainerClient(containerNameForTenant(stack.tenantId));
    let blobs = 0;
    for await (const blob of container.listBlobsFlat()) {
      const bytes = await container.getBlobClient(blob.name).downloadToBuffer();
      blobs++;
      expect(bytes.includes(Buffer.from(marker))).toBe(false);
      expect(bytes.includes(Buffer.from('Quarterly-Numbers'))).toBe(false);
    }
    expect(blobs).toBeGreaterThan(3);
    void repository;
  });
});
