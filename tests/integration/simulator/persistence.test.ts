import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { followPages, startTestSimulator } from '../../support/simulator';

describe('simulator persistence under a data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'm365-sim-data-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps changes, tokens and delta links across a restart', async () => {
    const first = await startTestSimulator({ dataDir });
    const tenant = await first.sim.control.tenant(first.tenantId);
    const user = tenant.users.find((u) => u.hasMailbox && u.driveId)!;
    const added = await first.sim.control.addUser(first.tenantId, {
      displayName: 'Persisted Person',
      mailNickname: 'persisted',
    });
    const file = await first.sim.control.putFile(
      first.tenantId,
      user.driveId!,
      'kept/notes.txt',
      Buffer.from('kept bytes'),
    );
    const mime = Buffer.from(
      `From: a@example.net\r\nTo: ${user.userPrincipalName}\r\nSubject: kept\r\n\r\nkept body\r\n`,
    );
    const message = await first.sim.control.deliverMessage(first.tenantId, user.id, mime);
    const { deltaLink } = await followPages(first, `/drives/${user.driveId}/root/delta`);
    const token = await first.token();
    await first.stop();

    // Links are absolute, so a restarted simulator keeps its port (as `npm start` does).
    const second = await startTestSimulator({ dataDir, port: Number(new URL(first.sim.url).port) });
    expect(second.tenantId).toBe(first.tenantId);
    const after = await second.sim.control.tenant(second.tenantId);
    expect(after.users.map((u) => u.id)).toContain(added.id);
    expect(await second.sim.control.fileContent(second.tenantId, user.driveId!, 'kept/notes.txt')).toEqual(
      Buffer.from('kept bytes'),
    );
    const value = await second.graph('GET', `/users/${user.id}/messages/${message.id}/$value`, {
      token,
      raw: true,
    });
    expect(value.bytes.equals(mime)).toBe(true);
    await second.sim.control.putFile(second.tenantId, user.driveId!, 'kept/later.txt', Buffer.from('later'));
    const round = await followPages(second, deltaLink!);
    expect(round.items.map((i) => i.name)).toContain('later.txt');
    expect(round.items.map((i) => i.id)).not.toContain(file.id);
    await second.stop();
  });
});
