import type { ResourceKind } from '../resources/resource';
import type { RestoreScope } from '../restore/restore-job';
import type { OmittedAttachment } from './mime-attachments';

export type ExportState = 'queued' | 'running' | 'completed' | 'failed' | 'expired';

export interface ExportJob {
  jobId: string;
  tenantId: string;
  resourceId: string;
  resourceKind: ResourceKind;
  snapshotId: string;
  scope: RestoreScope;
  /** false: mail exported without attachments (each message lists what it left out). */
  includeAttachments: boolean;
  state: ExportState;
  requestedBy: string;
  createdAt: string;
  updatedAt: string;
  /** When a worker first took the job. */
  startedAt?: string;
  finishedAt?: string;
  /** `<customer> - <resource> - <yyyy-mm-dd HHmm> - Backup.zip`. */
  fileName: string;
  /** The blob holding the zip (in the exports container). */
  blobName: string;
  progress: { itemsDone: number; itemsTotal: number; bytesDone: number; bytesTotal: number };
  /** Size of the finished zip. */
  zipBytes?: number;
  expiresAt?: string;
  failureReason?: string;
}

export interface ExportJobMessage {
  tenantId: string;
  jobId: string;
}

/** Version of the zip's layout and manifest (import checks it). */
export const EXPORT_FORMAT_VERSION = 1;

export interface ExportManifestItem {
  /** Path of the entry inside the zip. */
  path: string;
  /** Folder path and name in the snapshot. */
  source: string[];
  kind: 'message' | 'file' | 'document';
  itemId: string | null;
  size: number;
  sha256: string;
  /** The item's metadata in the snapshot (dates, read state, flags, drive id …): what an import restores with. */
  metadata?: Record<string, unknown>;
  /**
   * Exports without attachments: what was left out of this message (empty: it had none, and the
   * entry is the original MIME). `size` and `sha256` above are of the entry as written.
   */
  attachmentsOmitted?: OmittedAttachment[];
  /** The backed-up message's own size and SHA-256, when attachments were left out of the entry. */
  original?: { size: number; sha256: string };
}

/** A folder of the snapshot with its metadata (mail folder ids, library drive ids). */
export interface ExportManifestFolder {
  source: string[];
  metadata: Record<string, unknown>;
}

/** `manifest.json`: the identity of the export, so a renamed zip still restores where it belongs. */
export interface ExportManifest {
  formatVersion: number;
  tenantId: string;
  customer: string;
  resourceId: string;
  resourceKind: ResourceKind;
  resourceName: string;
  snapshotId: string;
  snapshotTime: string;
  createdAt: string;
  includeAttachments: boolean;
  folders?: ExportManifestFolder[];
  items: ExportManifestItem[];
}

/** Characters Windows, macOS or Linux refuse in file names become `_`. */
export function safeFileName(name: string): string {
  const cleaned = name
    .replace(/[\\/:*?"<>|]/g, '_')
    .replace(/\p{Cc}/gu, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[. ]+$/, '');
  return cleaned.length > 0 ? cleaned.slice(0, 150) : '_';
}

/** `<customer> - <resource> - <yyyy-mm-dd HHmm> - Backup.zip` (snapshot time, UTC). */
export function exportFileName(customer: string, resource: string, snapshotTime: string): string {
  const when = `${snapshotTime.slice(0, 10)} ${snapshotTime.slice(11, 13)}${snapshotTime.slice(14, 16)}`;
  return `${safeFileName(customer)} - ${safeFileName(resource)} - ${when} - Backup.zip`;
}
