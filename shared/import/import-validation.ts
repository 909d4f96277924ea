import { createHash } from 'node:crypto';
import { z } from 'zod';
import { open, type Entry, type ZipFile } from 'yauzl';
import { AppError } from '../errors/app-error';
import { EXPORT_FORMAT_VERSION, type ExportManifest } from '../export/export-job';
import { resourceKinds } from '../resources/resource';

export interface ImportLimits {
  /** Total uncompressed bytes of all entries. */
  maxTotalBytes: number;
  maxEntries: number;
  /** Uncompressed / compressed size of one entry above which it is a zip bomb. */
  maxRatio: number;
  /** Entries smaller than this are not held to the ratio (tiny files compress very well). */
  ratioFloorBytes: number;
}

export const defaultImportLimits: ImportLimits = {
  maxTotalBytes: 50 * 1024 * 1024 * 1024,
  maxEntries: 1_000_000,
  maxRatio: 200,
  ratioFloorBytes: 1024 * 1024,
};

const manifestSchema = z.object({
  formatVersion: z.literal(EXPORT_FORMAT_VERSION),
  tenantId: z.string().min(1),
  customer: z.string(),
  resourceId: z.string().min(1),
  resourceKind: z.enum(resourceKinds),
  resourceName: z.string(),
  snapshotId: z.string().min(1),
  snapshotTime: z.string(),
  createdAt: z.string(),
  includeAttachments: z.boolean(),
  folders: z
    .array(z.object({ source: z.array(z.string()), metadata: z.record(z.string(), z.unknown()) }))
    .optional(),
  items: z.array(
    z.object({
      path: z.string().min(1),
      source: z.array(z.string()),
      kind: z.enum(['message', 'file', 'document']),
      itemId: z.string().nullable(),
      size: z.number().int().nonnegative(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      metadata: z.record(z.string(), z.unknown()).optional(),
      attachmentsOmitted: z
        .array(
          z.object({
            name: z.string(),
            contentType: z.string(),
            disposition: z.enum(['attachment', 'inline']),
            size: z.number().int().nonnegative(),
          }),
        )
        .optional(),
      original: z
        .object({ size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })
        .optional(),
    }),
  ),
});

function refuse(reason: string): never {
  throw new AppError('invalid', `the backup zip was refused: ${reason}`, {
    details: [{ field: 'upload', message: reason }],
  });
}

/** Why an entry name is unsafe to extract, or undefined when it is fine. */
export function unsafeEntryName(name: string): string | undefined {
  if (name.includes('\\')) return `"${name}" uses backslashes`;
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return `"${name}" is an absolute path`;
  const segments = name.split('/');
  if (segments.some((s) => s === '..')) return `"${name}" leaves the folder it is extracted to (zip-slip)`;
  if (segments.slice(0, -1).some((s) => s === '' || s === '.')) return `"${name}" has an empty path segment`;
  if (name.includes('\u0000')) return `"${name}" contains a NUL character`;
  return undefined;
}

function isSymlink(entry: Entry): boolean {
  const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
  return mode === 0o120000;
}

function openZip(path: string): Promise<ZipFile> {
  return new Promise((resolve, reject) =>
    open(
      path,
      { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false },
      (err, zip) => (err ? reject(err) : resolve(zip)),
    ),
  );
}

function readEntry(zip: ZipFile, entry: Entry, onData: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (err, stream) => {
      if (err) return reject(err);
      stream.on('data', onData);
      stream.on('end', () => resolve());
      stream.on('error', reject);
    }),
  );
}

/** Every entry's header, in order (no data read yet). */
async function listEntries(zip: ZipFile): Promise<Entry[]> {
  const entries: Entry[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return entries;
}

/**
 * Checks an uploaded backup zip before anything is written: safe names (no zip-slip, absolute
 * paths, links, duplicates), size and compression-ratio limits (zip bombs), a valid manifest of
 * this tenant, and every item's size and SHA-256. Returns the manifest: the import's identity.
 */
export async function validateImportZip(
  zipPath: string,
  tenantId: string,
  limits: ImportLimits = defaultImportLimits,
): Promise<ExportManifest> {
  let zip: ZipFile;
  try {
    zip = await openZip(zipPath);
  } catch (error) {
    refuse(`it is not a readable zip (${(error as Error).message})`);
  }
  try {
    if (zip.entryCount > limits.maxEntries) refuse(`it has more than ${limits.maxEntries} entries`);
    const entries = await listEntries(zip).catch((error: Error) =>
      refuse(`its directory is damaged (${error.message})`),
    );
    const byName = new Map<string, Entry>();
    const seen = new Set<string>();
    let total = 0;
    for (const entry of entries) {
      const raw = entry.fileName as unknown as Buffer;
      const name = raw.toString((entry.generalPurposeBitFlag & 0x800) !== 0 ? 'utf8' : 'latin1');
      const unsafe = unsafeEntryName(name);
      if (unsafe) refuse(unsafe);
      if (isSymlink(entry)) refuse(`"${name}" is a symbolic link`);
      if (seen.has(name.toLowerCase())) refuse(`"${name}" appears more than once`);
      seen.add(name.toLowerCase());
      total += entry.uncompressedSize;
      if (total > limits.maxTotalBytes) refuse(`it unpacks to more than ${limits.maxTotalBytes} bytes`);
      if (
        entry.uncompressedSize > limits.ratioFloorBytes &&
        entry.uncompressedSize > limits.maxRatio * Math.max(1, entry.compressedSize)
      ) {
        refuse(`"${name}" expands more than ${limits.maxRatio} times (a zip bomb)`);
      }
      if (!name.endsWith('/')) byName.set(name, entry);
    }
    const manifestEntry = byName.get('manifest.json');
    if (!manifestEntry) refuse('it has no manifest.json (only zips made by an export can be imported)');
    if (manifestEntry.uncompressedSize > 256 * 1024 * 1024) refuse('manifest.json is too large');
    const parts: Buffer[] = [];
    await readEntry(zip, manifestEntry, (chunk) => parts.push(chunk));
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      refuse('manifest.json is not JSON');
    }
    const checked = manifestSchema.safeParse(parsed);
    if (!checked.success) {
      refuse(
        `manifest.json is not an export manifest (${checked.error.issues[0]?.path.join('.')}: ${checked.error.issues[0]?.message})`,
      );
    }
    const manifest = checked.data;
    if (manifest.tenantId !== tenantId) refuse('it is a backup of another organisation');
    const listed = new Set(manifest.items.map((i) => i.path));
    for (const name of byName.keys()) {
      if (name !== 'manifest.json' && !listed.has(name)) refuse(`"${name}" is not in the manifest`);
    }
    for (const item of manifest.items) {
      const entry = byName.get(item.path);
      if (!entry) refuse(`"${item.path}" is in the manifest but not in the zip`);
      const hash = createHash('sha256');
      let size = 0;
      await readEntry(zip, entry, (chunk) => {
        hash.update(chunk);
        size += chunk.length;
      }).catch((error: Error) => refuse(`"${item.path}" cannot be read (${error.message})`));
      if (size !== item.size || hash.digest('hex') !== item.sha256) {
        refuse(`"${item.path}" does not match its SHA-256 in the manifest (changed after the export)`);
      }
    }
    return manifest;
  } finally {
    zip.close();
  }
}
