import { simpleParser, type AddressObject, type Attachment } from 'mailparser';
import { ByteBudget } from '../concurrency/byte-budget';
import { AppError } from '../errors/app-error';
import { BULK_READ_BYTES } from '../repository';
import type { TenantGraph } from '../graph/graph-client';
import {
  putFragment,
  readAll,
  type ItemOutcome,
  type RestoreContext,
  type RestoreItem,
  type WorkloadRestorer,
} from './restore-context';

const PREFER = 'IdType="ImmutableId"';
/** Graph refuses request bodies over ~4 MB; base64 adds a third. */
const SINGLE_REQUEST_BYTES = 2_800_000;
const SMALL_ATTACHMENT_BYTES = 3 * 1024 * 1024;
const ATTACHMENT_CHUNK_BYTES = 3 * 1024 * 1024;
const MSGFLAG_READ = 0x1;
/**
 * What restoring a message holds at its peak, as a multiple of its MIME size: the MIME, the parsed
 * body and decoded attachments, their base64, and the JSON request body built from them (a string,
 * then its UTF-8 bytes).
 */
export const MESSAGE_MEMORY_FACTOR = 5;
/**
 * What all mail restores of this worker hold at once for the messages they have read and not yet
 * sent, whatever the number of jobs. Small messages (most mail) fit many at a time; a message whose
 * request would take more than this runs alone.
 */
export const MAIL_RESTORE_BUFFER_BYTES = 48 * 1024 * 1024;
const workerMailBudget = new ByteBudget(MAIL_RESTORE_BUFFER_BYTES);

export function restoreFolderName(snapshotStartedAt: string): string {
  return `Restored ${snapshotStartedAt.slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * Mail restore. Graph can create a message from MIME only as a draft (graph-facts §2.2), and a
 * draft cannot be made a normal message afterwards; so each message is re-created with a JSON body
 * carrying PR_MESSAGE_FLAGS (not unsent, read state), PR_MESSAGE_DELIVERY_TIME and
 * PR_CLIENT_SUBMIT_TIME, with the subject, addresses, body, Message-ID and attachments taken from
 * the backed-up MIME. Exchange re-composes the MIME, so transport headers (Received, DKIM, …) are
 * not kept: the trade-off is documented in docs/restore-export.md; the export keeps them byte for
 * byte.
 */
export class MailRestorer implements WorkloadRestorer {
  /**
   * Messages in flight at once. The Graph client lets 4 requests per mailbox through (Outlook's
   * limit); the other four read and parse their MIME meanwhile, so the 4 never wait on that.
   */
  readonly concurrency = 8;
  /**
   * Messages are read far faster than Graph takes them (4 creates at a time): two 8 MiB segments
   * held, one ahead, are plenty, and keep the worker's memory for the messages in flight.
   */
  readonly readBudget = { heldBytes: 2 * BULK_READ_BYTES, aheadBytes: BULK_READ_BYTES };
  /** Folder creations under way in this slice, so concurrent messages of one folder create it once. */
  private readonly creating = new Map<string, Promise<string>>();

  constructor(private readonly budget: ByteBudget = workerMailBudget) {}

  async prepare(ctx: RestoreContext): Promise<string> {
    const path =
      ctx.job.target.kind === 'resource' && ctx.job.target.folderPath.length > 0
        ? ctx.job.target.folderPath
        : [restoreFolderName(ctx.snapshot.startedAt)];
    await this.folderFor(ctx, [], path);
    return path.join('/');
  }

  private destinationPath(ctx: RestoreContext): string[] {
    return ctx.job.target.kind === 'resource' && ctx.job.target.folderPath.length > 0
      ? ctx.job.target.folderPath
      : [restoreFolderName(ctx.snapshot.startedAt)];
  }

  /** The id of folder `base + path` at the target, created as needed (ids kept in the checkpoint). */
  private async folderFor(ctx: RestoreContext, base: string[], path: string[]): Promise<string> {
    const user = ctx.target.graphId;
    let parentId = 'msgfolderroot';
    const walked: string[] = [];
    for (const name of [...base, ...path]) {
      walked.push(name);
      const key = `mail:${walked.join('\u0000')}`;
      const known = ctx.checkpoint.folders[key];
      if (known) {
        parentId = known;
        continue;
      }
      let creating = this.creating.get(key);
      if (!creating) {
        creating = ensureChildFolder(ctx.graph, user, parentId, name).then((id) => {
          ctx.checkpoint.folders[key] = id;
          return id;
        });
        // A failed creation is tried again by the next message that needs the folder.
        creating.catch(() => this.creating.delete(key));
        this.creating.set(key, creating);
      }
      parentId = await creating;
    }
    return parentId;
  }

  async restore(ctx: RestoreContext, item: RestoreItem): Promise<ItemOutcome> {
    const { entry } = item;
    if (entry.kind === 'folder') {
      await this.folderFor(ctx, this.destinationPath(ctx), [...item.path, entry.name]);
      return { kind: 'restored', bytes: 0 };
    }
    if (entry.kind !== 'message' || !entry.content) {
      return { kind: 'skipped', reason: 'not a message with content' };
    }
    const folderId = await this.folderFor(ctx, this.destinationPath(ctx), item.path);
    // The message is read, parsed and built only once its bytes fit the worker's mail budget, and
    // they are held until Graph has it: memory is bounded by the budget, not by 8 large messages.
    const grant = await this.budget.acquire(entry.content.size * MESSAGE_MEMORY_FACTOR);
    try {
      const mime = await readAll(ctx.repository, entry);
      const { message, separate } = await messageCreateRequest(mime, entry.metadata ?? {});
      const user = ctx.target.graphId;
      const created = await ctx.graph.post<{ id: string }>(
        `/users/${user}/mailFolders/${folderId}/messages`,
        message,
        { headers: { Prefer: PREFER }, what: 'restore a message' },
      );
      for (const attachment of separate) await addAttachment(ctx.graph, user, created.id, attachment);
      return { kind: 'restored', bytes: mime.length };
    } finally {
      grant.release();
    }
  }
}

/**
 * The JSON create of a backed-up message (not a draft: PR_MESSAGE_FLAGS, delivery and submit time
 * set) and the attachments too large to go inline, which are added after the create.
 */
export async function messageCreateRequest(
  mime: Buffer,
  m: Record<string, unknown>,
): Promise<{ message: Record<string, unknown>; separate: Attachment[] }> {
  // Only the HTML body, or the text one when there is no HTML, is sent: no conversions between them.
  const parsed = await simpleParser(mime, {
    skipTextToHtml: true,
    skipHtmlToText: true,
    skipImageLinks: true,
    skipTextLinks: true,
  });
  const attachments = parsed.attachments;
  const attachmentBytes = attachments.reduce((sum, a) => sum + a.size, 0);
  const body = parsed.html
    ? { contentType: 'html', content: parsed.html }
    : { contentType: 'text', content: parsed.text ?? '' };
  const inlineAttachments = attachmentBytes + body.content.length <= SINGLE_REQUEST_BYTES;
  const properties = [{ id: 'Integer 0x0E07', value: String(m.isRead === true ? MSGFLAG_READ : 0) }];
  if (typeof m.receivedDateTime === 'string') {
    properties.push({ id: 'SystemTime 0x0E06', value: m.receivedDateTime });
  }
  const sent = typeof m.sentDateTime === 'string' ? m.sentDateTime : parsed.date?.toISOString();
  if (sent) properties.push({ id: 'SystemTime 0x0039', value: sent });
  const message = {
    subject: parsed.subject ?? '',
    body,
    from: recipients(parsed.from)[0],
    toRecipients: recipients(parsed.to),
    ccRecipients: recipients(parsed.cc),
    bccRecipients: recipients(parsed.bcc),
    replyTo: recipients(parsed.replyTo),
    ...(parsed.messageId ? { internetMessageId: parsed.messageId } : {}),
    isRead: m.isRead === true,
    importance: typeof m.importance === 'string' ? m.importance : 'normal',
    categories: Array.isArray(m.categories) ? m.categories : [],
    flag: { flagStatus: typeof m.flagStatus === 'string' ? m.flagStatus : 'notFlagged' },
    singleValueExtendedProperties: properties,
    ...(inlineAttachments && attachments.length > 0 ? { attachments: attachments.map(fileAttachment) } : {}),
  };
  return { message, separate: inlineAttachments ? [] : attachments };
}

function recipients(value: AddressObject | AddressObject[] | undefined) {
  const list = value ? (Array.isArray(value) ? value : [value]) : [];
  return list
    .flatMap((a) => a.value)
    .filter((a) => a.address)
    .map((a) => ({ emailAddress: { name: a.name || a.address!, address: a.address! } }));
}

function fileAttachment(a: Attachment) {
  return {
    '@odata.type': '#microsoft.graph.fileAttachment',
    name: a.filename ?? 'attachment',
    contentType: a.contentType,
    contentBytes: a.content.toString('base64'),
    isInline: a.contentDisposition === 'inline',
    ...(a.cid ? { contentId: a.cid } : {}),
  };
}

/** Small attachments in one POST; larger ones through an Outlook attachment upload session. */
export async function addAttachment(
  graph: TenantGraph,
  user: string,
  messageId: string,
  a: Attachment,
): Promise<void> {
  const base = `/users/${user}/messages/${messageId}/attachments`;
  if (a.size < SMALL_ATTACHMENT_BYTES) {
    await graph.post(base, fileAttachment(a), { what: 'restore an attachment' });
    return;
  }
  const session = await graph.post<{ uploadUrl: string }>(
    `${base}/createUploadSession`,
    {
      AttachmentItem: {
        attachmentType: 'file',
        name: a.filename ?? 'attachment',
        size: a.content.length,
        contentType: a.contentType,
        isInline: a.contentDisposition === 'inline',
        ...(a.cid ? { contentId: a.cid } : {}),
      },
    },
    { what: 'start an attachment upload' },
  );
  for (let start = 0; start < a.content.length; start += ATTACHMENT_CHUNK_BYTES) {
    const chunk = a.content.subarray(start, Math.min(start + ATTACHMENT_CHUNK_BYTES, a.content.length));
    const { status, body } = await putFragment(session.uploadUrl, chunk, start, a.content.length);
    if (status >= 400) {
      throw new AppError(
        status >= 500 ? 'unavailable' : 'permanent',
        `attachment upload answered ${status}: ${body.slice(0, 200)}`,
      );
    }
  }
}

/** A child folder by name: created, or the existing one (409 ErrorFolderExists). */
async function ensureChildFolder(
  graph: TenantGraph,
  user: string,
  parentId: string,
  name: string,
): Promise<string> {
  const base = `/users/${user}/mailFolders/${parentId}/childFolders`;
  try {
    const created = await graph.post<{ id: string }>(
      base,
      { displayName: name },
      { what: 'create a mail folder' },
    );
    return created.id;
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'conflict') throw error;
  }
  for await (const page of graph.pages<{ id: string; displayName: string }>(`${base}?$top=999`, {
    what: 'list mail folders',
  })) {
    const found = page.value.find((f) => f.displayName === name);
    if (found) return found.id;
  }
  throw new AppError('conflict', `mail folder "${name}" exists but was not found`);
}
