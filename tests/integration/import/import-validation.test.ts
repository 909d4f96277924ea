import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ZipFile } from 'yazl';
import type { ExportManifest } from '../../../shared/export/export-job';
import { validateImportZip } from '../../../shared/import/import-validation';

const TENANT = '11111111-2222-4333-8444-555555555555';
const dir = mkdtempSync(join(tmpdir(), 'import-validation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface ZipSpec {
  files: Record<string, Buffer>;
  manifest?: Partial<ExportManifest> | null;
  /** Files left out of the manifest's item list. */
  unlisted?: string[];
  symlink?: string;
  /** Deflate entries (default: stored, so tests can edit bytes in place). */
  compress?: boolean;
}

let counter = 0;
/** Writes a zip like an export's (manifest listing every file) with the given twists. */
async function makeZip(spec: ZipSpec, name = `backup-${++counter}.zip`): Promise<string> {
  const zip = new ZipFile();
  for (const [path, data] of Object.entries(spec.files)) {
    zip.addBuffer(data, path, {
      compress: spec.compress ?? false,
      ...(path === spec.symlink ? { mode: 0o120777 } : {}),
    });
  }
  if (spec.manifest !== null) {
    const manifest: ExportManifest = {
      formatVersion: 1,
      tenantId: TENANT,
      customer: 'Contoso',
      resourceId: 'onedrive:user-1',
      resourceKind: 'onedrive',
      resourceName: 'anna@contoso.com',
      snapshotId: 'snap-1',
      snapshotTime: '2026-11-22T05:00:00.000Z',
      createdAt: '2026-11-22T05:10:00.000Z',
      includeAttachments: true,
      items: Object.entries(spec.files)
        .filter(([p]) => !(spec.unlisted ?? []).includes(p))
        .map(([path, data]) => ({
          path,
          source: path.split('/').slice(1),
          kind: 'file' as const,
          itemId: path,
          size: data.length,
          sha256: sha256(data),
        })),
      ...spec.manifest,
    };
    zip.addBuffer(Buffer.from(JSON.stringify(manifest)), 'manifest.json');
  }
  zip.end();
  const file = join(dir, name);
  await new Promise<void>((resolve, reject) =>
    zip.outputStream.pipe(createWriteStream(file)).on('close', resolve).on('error', reject),
  );
  return file;
}

/** Renames an entry inside the zip's bytes (yazl refuses unsafe names, attackers' tools do not). */
function renameEntry(file: string, from: string, to: string): void {
  expect(to.length).toBe(from.length);
  const bytes = readFileSync(file);
  const target = Buffer.from(from);
  let at = bytes.indexOf(target);
  expect(at).toBeGreaterThanOrEqual(0);
  while (at >= 0) {
    Buffer.from(to).copy(bytes, at);
    at = bytes.indexOf(target, at + 1);
  }
  writeFileSync(file, bytes);
}

const files = {
  'content/Documents/report.docx': Buffer.from('report bytes'),
  'content/Photos/cat.jpg': Buffer.from('cat bytes'),
};

/** Uploaded backup zips are checked before anything is written, with a reason a person can act on. */
describe('import validation', () => {
  it('accepts an export under any file name: the identity comes from manifest.json', async () => {
    const file = await makeZip({ files }, 'renamed by the customer.zip');
    const manifest = await validateImportZip(file, TENANT);
    expect(manifest).toMatchObject({ tenantId: TENANT, resourceId: 'onedrive:user-1', snapshotId: 'snap-1' });
    expect(manifest.items).toHaveLength(2);
  });

  it("refuses another tenant's export", async () => {
    const file = await makeZip({ files, manifest: { tenantId: '99999999-2222-4333-8444-555555555555' } });
    await expect(validateImportZip(file, TENANT)).rejects.toThrow(/another organisation/);
  });

  it('refuses a file changed after the export (hash mismatch)', async () => {
    const file = await makeZip({ files });
    // Same length, different bytes: only the hash can tell.
    renameEntry(file, 'cat bytes', 'dog bytes');
    await expect(validateImportZip(file, TENANT)).rejects.toThrow(/does not match its SHA-256/);
  });

  it('refuses zip-slip, absolute paths, links, duplicates and unlisted entries', async () => {
    const slip = await makeZip({ files: { ...files, 'content/xx/evil.txt': Buffer.from('x') } });
    renameEntry(slip, 'content/xx/evil.txt', 'content/../evil.txt');
    await expect(validateImportZip(slip, TENANT)).rejects.toThrow(/zip-slip/);

    const absolute = await makeZip({ files: { ...files, 'xetc/passwd': Buffer.from('x') } });
    renameEntry(absolute, 'xetc/passwd', '/etc/passwd');
    await expect(validateImportZip(absolute, TENANT)).rejects.toThrow(/absolute path/);

    const link = await makeZip({
      files: { ...files, 'content/link': Buffer.from('/etc/passwd') },
      symlink: 'content/link',
    });
    await expect(validateImportZip(link, TENANT)).rejects.toThrow(/symbolic link/);

    const duplicate = await makeZip({
      files: { ...files, 'content/Photos/CAT.jpg': Buffer.from('cat bytes') },
    });
    await expect(validateImportZip(duplicate, TENANT)).rejects.toThrow(/more than once/);

    const unlisted = await makeZip({ files, unlisted: ['content/Photos/cat.jpg'] });
    await expect(validateImportZip(unlisted, TENANT)).rejects.toThrow(/not in the manifest/);
  });

  it('refuses zip bombs by ratio and by total size, and zips that are not exports', async () => {
    const bomb = await makeZip({
      files: { 'content/zeros.bin': Buffer.alloc(20 * 1024 * 1024) },
      compress: true,
    });
    await expect(validateImportZip(bomb, TENANT)).rejects.toThrow(/zip bomb/);
    const big = await makeZip({ files });
    await expect(
      validateImportZip(big, TENANT, {
        maxTotalBytes: 10,
        maxEntries: 100,
        maxRatio: 200,
        ratioFloorBytes: 1 << 20,
      }),
    ).rejects.toThrow(/unpacks to more than 10 bytes/);
    const noManifest = await makeZip({ files, manifest: null });
    await expect(validateImportZip(noManifest, TENANT)).rejects.toThrow(/no manifest.json/);
    const notZip = join(dir, 'not-a-zip.zip');
    writeFileSync(notZip, 'hello');
    await expect(validateImportZip(notZip, TENANT)).rejects.toThrow(/not a readable zip/);
  });
});
