import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { once } from '../concurrency/once';
import { AppError } from '../errors/app-error';
import type { ExportManifest } from '../export/export-job';
import type { ImportSources } from '../restore/restore-engine';
import { signedBlobUrl } from '../storage/blob-sas';
import { isStatus } from '../storage/tables';
import type { Clock } from '../time/clock';
import { defaultImportLimits, validateImportZip, type ImportLimits } from './import-validation';
import { ZipImportSources } from './import-sources';

export const IMPORTS_CONTAINER = 'imports';

export interface ImportUploadOptions {
  /** Largest zip accepted (IMPORT_MAX_BYTES); checked from the blob's size before it is read. */
  maxBytes: number;
  /** How long an upload link is valid (IMPORT_UPLOAD_LINK_MINUTES). */
  linkMinutes: number;
  limits?: ImportLimits;
}

export interface UploadLink {
  uploadId: string;
  /** PUT the zip here (`x-ms-blob-type: BlockBlob`); create and write only, no read or list. */
  url: string;
  expiresAt: string;
  maxBytes: number;
}

/** A local copy of an upload (validation and restore read zips from files); `dispose` deletes it. */
export interface LocalUpload {
  path: string;
  dispose(): Promise<void>;
}

/**
 * Uploaded backup zips: one new blob per upload (`imports/<tenant>/<uploadId>.zip`), written by the
 * customer's browser through a write-only SAS, checked for size before anything reads it, then
 * copied to a temporary file to be validated and, after verification, restored.
 */
export class ImportUploads {
  private readonly container: () => Promise<ContainerClient>;

  constructor(
    private readonly blobs: BlobServiceClient,
    private readonly clock: Clock,
    private readonly options: ImportUploadOptions,
  ) {
    this.container = once(async () => {
      const container = blobs.getContainerClient(IMPORTS_CONTAINER);
      await container.createIfNotExists();
      return container;
    });
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  private static blobName(tenantId: string, uploadId: string): string {
    return `${tenantId}/${uploadId}.zip`;
  }

  /** A link to upload one new zip: create/write only (no read, no list), for `linkMinutes`. */
  async createLink(tenantId: string): Promise<UploadLink> {
    await this.container();
    const uploadId = randomBytes(16).toString('hex');
    const now = this.clock.now();
    const expiresOn = new Date(now.getTime() + this.options.linkMinutes * 60 * 1000);
    const url = await signedBlobUrl(this.blobs, {
      containerName: IMPORTS_CONTAINER,
      blobName: ImportUploads.blobName(tenantId, uploadId),
      permissions: 'cw',
      startsOn: new Date(now.getTime() - 5 * 60 * 1000),
      expiresOn,
    });
    return { uploadId, url, expiresAt: expiresOn.toISOString(), maxBytes: this.options.maxBytes };
  }

  /** The uploaded zip's size; not-found when nothing was uploaded under this id for this tenant. */
  async size(tenantId: string, uploadId: string): Promise<number> {
    const container = await this.container();
    try {
      const properties = await container
        .getBlockBlobClient(ImportUploads.blobName(tenantId, uploadId))
        .getProperties();
      return properties.contentLength ?? 0;
    } catch (error) {
      if (isStatus(error, 404)) {
        throw new AppError('not-found', 'nothing was uploaded for this upload id', {
          details: [{ field: 'body.uploadId', message: 'no upload with this id (upload the zip first)' }],
        });
      }
      throw error;
    }
  }

  /** Copies the upload to a temporary file (refused before reading when it is over the limit). */
  async copyToFile(tenantId: string, uploadId: string): Promise<LocalUpload> {
    const size = await this.size(tenantId, uploadId);
    if (size > this.options.maxBytes) {
      throw new AppError(
        'too-large',
        `the upload is ${size} bytes; imports accept at most ${this.options.maxBytes} bytes`,
      );
    }
    const container = await this.container();
    const dir = await mkdtemp(join(tmpdir(), 'import-'));
    const path = join(dir, 'upload.zip');
    const dispose = () => rm(dir, { recursive: true, force: true });
    try {
      await container.getBlockBlobClient(ImportUploads.blobName(tenantId, uploadId)).downloadToFile(path);
    } catch (error) {
      await dispose();
      throw error;
    }
    return { path, dispose };
  }

  /**
   * Validates an upload (size limit, then every check of `validateImportZip`) and returns its
   * manifest: the import's identity. A refused upload is deleted, so nothing of it is kept.
   */
  async validate(tenantId: string, uploadId: string): Promise<ExportManifest> {
    let local: LocalUpload;
    try {
      local = await this.copyToFile(tenantId, uploadId);
    } catch (error) {
      if (error instanceof AppError && error.code === 'too-large') await this.delete(tenantId, uploadId);
      throw error;
    }
    try {
      return await validateImportZip(local.path, tenantId, this.options.limits ?? defaultImportLimits);
    } catch (error) {
      if (error instanceof AppError && error.code === 'invalid') await this.delete(tenantId, uploadId);
      throw error;
    } finally {
      await local.dispose();
    }
  }

  async delete(tenantId: string, uploadId: string): Promise<void> {
    const container = await this.container();
    await container.getBlockBlobClient(ImportUploads.blobName(tenantId, uploadId)).deleteIfExists();
  }

  /**
   * Deletes uploads last written before `cutoff` (the cleanup timer): an upload is kept for its
   * import's restore, not for ever, and a link that was never followed by an import leaves nothing.
   */
  async deleteOlderThan(cutoff: Date): Promise<number> {
    const container = await this.container();
    let count = 0;
    for await (const blob of container.listBlobsFlat()) {
      const written = blob.properties.lastModified;
      if (written && written.getTime() < cutoff.getTime()) {
        await container.getBlockBlobClient(blob.name).deleteIfExists();
        count += 1;
      }
    }
    return count;
  }

  /** What the restore worker reads an import's zip through (validated again on every open). */
  sources(): ImportSources {
    return {
      open: async (tenantId, importId) => {
        const local = await this.copyToFile(tenantId, importId);
        try {
          const opened = await new ZipImportSources(
            () => Promise.resolve(local.path),
            this.options.limits ?? defaultImportLimits,
          ).open(tenantId, importId);
          return {
            ...opened,
            close: () => {
              opened.close();
              void local.dispose();
            },
          };
        } catch (error) {
          await local.dispose();
          throw error;
        }
      },
    };
  }
}
