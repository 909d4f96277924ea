import type { ResourceKind } from '../../resources/resource';
import type { WorkloadHandler } from '../workload-handler';
import { DriveResourceHandler, oneDriveMounts, siteMounts } from './drive-resource-handler';
import { GroupConversations, groupMounts } from './group-conversations';
import { MailboxHandler } from './mailbox-handler';

/** The handler for each kind of resource. */
export function createWorkloadHandlers(
  options: { downloadConcurrency?: number } = {},
): Record<ResourceKind, WorkloadHandler> {
  return {
    mailbox: new MailboxHandler(options),
    onedrive: new DriveResourceHandler('onedrive', oneDriveMounts, undefined, options),
    site: new DriveResourceHandler('site', siteMounts, undefined, options),
    group: new DriveResourceHandler('group', groupMounts, new GroupConversations(), options),
  };
}
