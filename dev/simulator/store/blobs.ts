/**
 * Content-addressed bytes for everything not generated from a seed (uploads, delivered MIME,
 * attachments). In memory; mirrored to `{dataDir}/blobs/` when the simulator persists state.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class BlobStore {
  private readonly blobs = new Map<string, Buffer>();

  constructor(private readonly dir?: string) {
    if (dir) mkdirSync(dir, { recursive: true });
  }

  put(bytes: Buffer): string {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (!this.blobs.has(sha256)) {
      this.blobs.set(sha256, bytes);
      if (this.dir) {
        const path = join(this.dir, sha256);
        if (!existsSync(path)) writeFileSync(path, bytes);
      }
    }
    return sha256;
  }

  get(sha256: string): Buffer {
    let bytes = this.blobs.get(sha256);
    if (!bytes && this.dir) {
      const path = join(this.dir, sha256);
      if (existsSync(path)) {
        bytes = readFileSync(path);
        this.blobs.set(sha256, bytes);
      }
    }
    if (!bytes) throw new Error(`blob ${sha256} is missing`);
    return bytes;
  }
}
