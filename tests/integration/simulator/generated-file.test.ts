import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generator } from '../../../dev/simulator/generator';
import { startTestSimulator, type TestSimulator } from '../../support/simulator';

describe('control API: generated drive files', () => {
  let t: TestSimulator;
  beforeAll(async () => {
    t = await startTestSimulator();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('creates a large file from a seed without a request body, served through Graph byte for byte', async () => {
    const tenant = await t.sim.control.tenant(t.tenantId);
    const driveId = tenant.users.find((u) => u.driveId)!.driveId!;
    const size = 3 * 1024 * 1024 + 17;
    const created = await t.sim.control.request<{ id: string; size: number }>(
      'PUT',
      `/_sim/tenants/${t.tenantId}/drives/${encodeURIComponent(driveId)}/items?path=${encodeURIComponent('Big/image.vhdx')}&generatedSize=${size}&seed=7`,
    );
    expect(created.status).toBe(201);
    expect(created.body.size).toBe(size);
    const redirect = await t.graph('GET', `/drives/${driveId}/items/${created.body.id}/content`, {
      raw: true,
    });
    expect(redirect.status).toBe(302);
    const download = await fetch(redirect.headers.get('location')!);
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.equals(generator.fileBytes({ contentSeed: 7, size }))).toBe(true);

    const bad = await t.sim.control.request(
      'PUT',
      `/_sim/tenants/${t.tenantId}/drives/${encodeURIComponent(driveId)}/items?path=x.bin&generatedSize=-1`,
    );
    expect(bad.status).toBe(400);
  });
});
