import { Semaphore } from '../../concurrency/semaphore';
import type { ResourceKind } from '../../resources/resource';
import type { WorkloadHandler } from '../workload-handler';
import { DriveResourceHandler, oneDriveMounts, siteMounts } from './drive-resource-handler';
import { GroupConversations, groupMounts } from './group-conversations';
import { MailboxHandler } from './mailbox-handler';

export interface WorkloadHandlerOptions {
  /** Downloads in flight per mailbox or drive (Outlook allows 4 per mailbox). */
  downloadConcurrency?: number;
  /** File downloads in flight in the whole worker process, which bounds its memory (default 6). */
  processFileDownloads?: number;
}

/** The handler for each kind of resource; drive handlers share one process-wide download limit. */
export function createWorkloadHandlers(
  options: WorkloadHandlerOptions = {},
): Record<ResourceKind, WorkloadHandler> {
  const drives = {
    downloadConcurrency: options.downloadConcurrency ?? 4,
    downloadSlots: new Semaphore(options.processFileDownloads ?? 6),
  };
  return {
    mailbox: new MailboxHandler({ downloadConcurrency: options.downloadConcurrency ?? 4 }),
    onedrive: new DriveResourceHandler('onedrive', oneDriveMounts, undefined, drives),
    site: new DriveResourceHandler('site', siteMounts, undefined, drives),
    group: new DriveResourceHandler('group', groupMounts, new GroupConversations(), drives),
  };
}
