import type { ByteBudget } from '../../concurrency/byte-budget';
import type { ResourceKind } from '../../resources/resource';
import type { WorkloadHandler } from '../workload-handler';
import { DriveResourceHandler, oneDriveMounts, siteMounts } from './drive-resource-handler';
import { GroupConversations, groupMounts } from './group-conversations';
import { MailboxHandler } from './mailbox-handler';

export interface WorkloadHandlerOptions {
  /** Downloads in flight per mailbox or drive (Outlook allows 4 per mailbox). */
  downloadConcurrency?: number;
  /**
   * The worker's budget for downloaded content on its way into packs, shared by every job: each
   * file or message download holds its share while it is stored (unset: no limit).
   */
  downloadBuffers?: ByteBudget;
}

/** The handler for each kind of resource; all of them share one process-wide download budget. */
export function createWorkloadHandlers(
  options: WorkloadHandlerOptions = {},
): Record<ResourceKind, WorkloadHandler> {
  const drives = {
    downloadConcurrency: options.downloadConcurrency ?? 4,
    ...(options.downloadBuffers ? { downloadBuffers: options.downloadBuffers } : {}),
  };
  return {
    mailbox: new MailboxHandler(drives),
    onedrive: new DriveResourceHandler('onedrive', oneDriveMounts, undefined, drives),
    site: new DriveResourceHandler('site', siteMounts, undefined, drives),
    group: new DriveResourceHandler('group', groupMounts, new GroupConversations(), drives),
  };
}
