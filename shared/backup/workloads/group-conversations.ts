import { AppError } from '../../errors/app-error';
import type { TenantGraph } from '../../graph/graph-client';
import type { TreeEntry } from '../../repository';
import type { PreviousManifest } from '../manifest-model';
import type { SnapshotSlice } from '../workload-handler';
import type { DriveChanges } from './drive-collector';
import { libraryMount, type DriveMount, type ExtraCollector } from './drive-resource-handler';

export const CONVERSATIONS_FOLDER_ID = 'conversations';

interface GraphThread {
  id: string;
  topic?: string;
  lastDeliveredDateTime?: string;
  hasAttachments?: boolean;
  preview?: string;
}

interface GraphPost {
  id: string;
  receivedDateTime?: string;
  from?: { emailAddress?: { name?: string; address?: string } };
  body?: { contentType?: string; content?: string };
  hasAttachments?: boolean;
}

/** A group's library: the group drive, as a top-level folder named after it. */
export async function groupMounts(graph: TenantGraph, groupId: string): Promise<DriveMount[]> {
  try {
    const drive = await graph.get<{ id: string; name?: string }>(
      `/groups/${encodeURIComponent(groupId)}/drive?$select=id,name`,
      { what: 'find the group library' },
    );
    return [libraryMount(drive.id, drive.name || 'Documents')];
  } catch (error) {
    // A group without a provisioned site has no drive yet: back up its conversations alone.
    if (error instanceof AppError && error.code === 'not-found') return [];
    throw error;
  }
}

/**
 * A group's conversations: each thread is stored as one JSON document (topic and every post),
 * re-read only when the thread received a post since the last snapshot.
 */
export class GroupConversations implements ExtraCollector {
  async collect(
    slice: SnapshotSlice,
    previous: PreviousManifest | undefined,
    changes: DriveChanges,
  ): Promise<void> {
    const group = encodeURIComponent(slice.resource.graphId);
    changes.folders.set(CONVERSATIONS_FOLDER_ID, {
      id: CONVERSATIONS_FOLDER_ID,
      parentId: null,
      name: 'Conversations',
      metadata: { conversations: true },
    });
    changes.complete.add(CONVERSATIONS_FOLDER_ID);
    for await (const page of slice.graph.pages<GraphThread>(`/groups/${group}/threads`, {
      what: 'list conversation threads',
    })) {
      for (const thread of page.value) {
        slice.report.processed();
        const known = previous?.items.get(`thread:${thread.id}`)?.entry;
        const metadata = {
          topic: thread.topic ?? '',
          lastDeliveredDateTime: thread.lastDeliveredDateTime ?? null,
          hasAttachments: thread.hasAttachments ?? false,
          preview: thread.preview ?? '',
        };
        let entry: TreeEntry;
        if (known?.content && known.metadata?.lastDeliveredDateTime === metadata.lastDeliveredDateTime) {
          entry = { ...known, metadata: { ...known.metadata, ...metadata } };
        } else {
          const document = await this.readThread(slice.graph, group, thread);
          if (!document) {
            slice.report.skip(thread.topic || thread.id, 'deleted before it could be read');
            continue;
          }
          const content = await slice.repository.putBuffer(Buffer.from(JSON.stringify(document), 'utf8'), {
            usage: slice.usage,
          });
          entry = {
            name: `thread:${thread.id}`,
            kind: 'message',
            itemId: `thread:${thread.id}`,
            metadata: { ...metadata, posts: document.posts.length, contentType: 'application/json' },
            content,
          };
        }
        changes.upserts.set(`thread:${thread.id}`, { folderId: CONVERSATIONS_FOLDER_ID, entry });
      }
    }
  }

  private async readThread(graph: TenantGraph, group: string, thread: GraphThread) {
    const posts: GraphPost[] = [];
    try {
      for await (const page of graph.pages<GraphPost>(
        `/groups/${group}/threads/${encodeURIComponent(thread.id)}/posts`,
        { what: 'read conversation posts' },
      )) {
        posts.push(...page.value);
      }
    } catch (error) {
      if (error instanceof AppError && error.code === 'not-found') return undefined;
      throw error;
    }
    return {
      format: 'm365-backup/conversation-thread@1',
      id: thread.id,
      topic: thread.topic ?? '',
      lastDeliveredDateTime: thread.lastDeliveredDateTime ?? null,
      posts: posts.map((post) => ({
        id: post.id,
        receivedDateTime: post.receivedDateTime ?? null,
        from: post.from?.emailAddress ?? null,
        body: post.body ?? null,
        hasAttachments: post.hasAttachments ?? false,
      })),
    };
  }
}
