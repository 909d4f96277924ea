/**
 * Exchange mailboxes: folders and messages, and every change to them. A message keeps an
 * immutable id for life; its REST id changes whenever it moves (as Exchange entry ids do). Each
 * folder remembers the messages that left it, so per-folder delta can report `@removed`.
 */
import type { GenAddress, GenAttachmentInfo } from '../generator/contract';
import { changeKey, mailFolderId, messageImmutableId, messageRestId } from '../ids';
import type { FolderRec, MailboxRec, MessageContent, MessageRec, TenantState } from './model';
import type { SimState } from './state';

export const wellKnownFolderNames = [
  'msgfolderroot',
  'inbox',
  'drafts',
  'sentitems',
  'deleteditems',
  'junkemail',
  'archive',
  'outbox',
  'recoverableitemsdeletions',
  'clutter',
  'conflicts',
  'conversationhistory',
  'localfailures',
  'scheduled',
  'searchfolders',
  'serverfailures',
  'syncissues',
];

export function createFolderRec(
  state: SimState,
  id: string,
  parentId: string | null,
  displayName: string,
  wellKnownName: string | null,
  isHidden = false,
): FolderRec {
  return {
    id,
    parentId,
    displayName,
    wellKnownName,
    isHidden,
    changeSeq: state.nextSeq(),
    messageIds: {},
    departed: {},
    epoch: 0,
  };
}

/** A folder by id or well-known name (`inbox`, `msgfolderroot`, …). */
export function folderById(mailbox: MailboxRec, idOrName: string): FolderRec | undefined {
  const direct = mailbox.folders[idOrName];
  if (direct) return direct.removed ? undefined : direct;
  const lower = idOrName.toLowerCase();
  if (!wellKnownFolderNames.includes(lower)) return undefined;
  return Object.values(mailbox.folders).find((f) => !f.removed && f.wellKnownName === lower);
}

export function rootFolder(mailbox: MailboxRec): FolderRec {
  const root = folderById(mailbox, 'msgfolderroot');
  if (!root) throw new Error('mailbox without msgfolderroot');
  return root;
}

export function childFolders(mailbox: MailboxRec, parentId: string): FolderRec[] {
  return Object.values(mailbox.folders).filter((f) => !f.removed && f.parentId === parentId);
}

/** A message by REST id or immutable id. An id from before a move no longer resolves. */
export function messageById(mailbox: MailboxRec, id: string): MessageRec | undefined {
  const immutable = mailbox.restIndex[id] ?? id;
  return mailbox.messages[immutable];
}

export function messageEtag(message: MessageRec): string {
  return changeKey(message.immutableId, message.version);
}

export function addFolder(
  state: SimState,
  tenant: TenantState,
  mailbox: MailboxRec,
  parent: FolderRec,
  displayName: string,
): FolderRec {
  const id = mailFolderId(tenant.id, mailbox.userId, `new:${state.currentSeq}:${displayName}`);
  const folder = createFolderRec(state, id, parent.id, displayName, null);
  mailbox.folders[id] = folder;
  state.emit({
    kind: 'mailFolder',
    tenantId: tenant.id,
    changeType: 'created',
    userId: mailbox.userId,
    folderId: id,
  });
  return folder;
}

export function renameFolder(
  state: SimState,
  tenant: TenantState,
  mailbox: MailboxRec,
  folder: FolderRec,
  displayName: string,
): void {
  folder.displayName = displayName;
  folder.changeSeq = state.nextSeq();
  state.emit({
    kind: 'mailFolder',
    tenantId: tenant.id,
    changeType: 'updated',
    userId: mailbox.userId,
    folderId: folder.id,
  });
}

export function deleteFolder(
  state: SimState,
  tenant: TenantState,
  mailbox: MailboxRec,
  folder: FolderRec,
): void {
  for (const child of childFolders(mailbox, folder.id)) deleteFolder(state, tenant, mailbox, child);
  for (const immutableId of Object.keys(folder.messageIds)) {
    const message = mailbox.messages[immutableId];
    if (message) deleteMessage(state, tenant, mailbox, message);
  }
  folder.removed = { seq: state.nextSeq(), reason: 'deleted' };
  folder.changeSeq = folder.removed.seq;
  state.emit({
    kind: 'mailFolder',
    tenantId: tenant.id,
    changeType: 'deleted',
    userId: mailbox.userId,
    folderId: folder.id,
  });
}

export interface NewMessage {
  content: MessageContent;
  subject: string;
  from: GenAddress | null;
  toRecipients: GenAddress[];
  ccRecipients: GenAddress[];
  bccRecipients?: GenAddress[];
  replyTo?: GenAddress[];
  sentDateTime: string | null;
  receivedDateTime?: string;
  createdDateTime?: string;
  internetMessageId: string | null;
  bodyPreview: string;
  attachments: GenAttachmentInfo[];
  hasAttachments: boolean;
  isRead?: boolean;
  isDraft?: boolean;
  flagStatus?: MessageRec['flagStatus'];
  importance?: MessageRec['importance'];
  categories?: string[];
  /** Deterministic id key (generated mailboxes); default a fresh sequence-based key. */
  idKey?: string;
  extendedProperties?: Record<string, string>;
}

function emitMessage(
  state: SimState,
  tenant: TenantState,
  mailbox: MailboxRec,
  message: MessageRec,
  changeType: 'created' | 'updated' | 'deleted',
  folderId = message.folderId,
  restId = message.restId,
): void {
  state.emit({
    kind: 'message',
    tenantId: tenant.id,
    changeType,
    userId: mailbox.userId,
    folderId,
    immutableId: message.immutableId,
    restId,
    etag: messageEtag(message),
  });
}

function conversationIdFor(subject: string): string {
  const normalized = subject
    .replace(/^((re|fw|fwd|aw|sv|wg)\s*:\s*)+/i, '')
    .trim()
    .toLowerCase();
  return 'AAQkA' + Buffer.from(changeKey('conversation', normalized)).toString('base64').slice(0, 24) + '=';
}

export function addMessage(
  state: SimState,
  tenant: TenantState,
  mailbox: MailboxRec,
  folder: FolderRec,
  spec: NewMessage,
  announce = true,
): MessageRec {
  const now = state.nowIso();
  const immutableId = messageImmutableId(tenant.id, mailbox.userId, spec.idKey ?? `new:${state.currentSeq}`);
  const message: MessageRec = {
    immutableId,
    restId: messageRestId(immutableId, 0),
    restVersion: 0,
    folderId: folder.id,
    content: spec.content,
    subject: spec.subject,
    from: spec.from,
    toRecipients: spec.toRecipients,
    ccRecipients: spec.ccRecipients,
    bccRecipients: spec.bccRecipients ?? [],
    replyTo: spec.replyTo ?? [],
    sentDateTime: spec.sentDateTime,
    receivedDateTime: spec.receivedDateTime ?? now,
    createdDateTime: spec.createdDateTime ?? spec.receivedDateTime ?? now,
    lastModifiedDateTime: spec.createdDateTime ?? spec.receivedDateTime ?? now,
    internetMessageId: spec.internetMessageId,
    bodyPreview: spec.bodyPreview,
    hasAttachments: spec.hasAttachments,
    attachments: spec.attachments,
    addedAttachments: [],
    isRead: spec.isRead ?? false,
    isDraft: spec.isDraft ?? false,
    flagStatus: spec.flagStatus ?? 'notFlagged',
    importance: spec.importance ?? 'normal',
    categories: spec.categories ?? [],
    conversationId: conversationIdFor(spec.subject),
    version: 1,
    changeSeq: state.nextSeq(),
    arrivedSeq: 0,
  };
  message.arrivedSeq = message.changeSeq;
  if (spec.extendedProperties) message.extendedProperties = spec.extendedProperties;
  mailbox.messages[immutableId] = message;
  mailbox.restIndex[message.restId] = immutableId;
  folder.messageIds[immutableId] = true;
  delete folder.departed[immutableId];
  if (announce) emitMessage(state, tenant, mailbox, message, 'created');
  return message;
}

export function updateMessage(
  state: SimState,
  tenant: TenantState,
  mailbox: MailboxRec,
  message: MessageRec,
  change: (m: MessageRec) => void,
): void {
  change(message);
  message.version += 1;
  message.lastModifiedDateTime = state.nowIso();
  message.changeSeq = state.nextSeq();
  emitMessage(state, tenant, mailbox, message, 'updated');
}

/** Moves a message: it leaves the source folder (delta there reports it removed) and gets a new REST id. */
export function moveMessage(
  state: SimState,
  tenant: TenantState,
  mailbox: MailboxRec,
  message: MessageRec,
  destination: FolderRec,
): MessageRec {
  if (destination.id === message.folderId) return message;
  const source = mailbox.folders[message.folderId];
  const seq = state.nextSeq();
  if (source) {
    delete source.messageIds[message.immutableId];
    source.departed[message.immutableId] = { seq, restId: message.restId };
  }
  emitMessage(state, tenant, mailbox, message, 'deleted');
  delete mailbox.restIndex[message.restId];
  message.restVersion += 1;
  message.restId = messageRestId(message.immutableId, message.restVersion);
  mailbox.restIndex[message.restId] = message.immutableId;
  message.folderId = destination.id;
  message.version += 1;
  message.lastModifiedDateTime = state.nowIso();
  message.changeSeq = state.nextSeq();
  message.arrivedSeq = message.changeSeq;
  destination.messageIds[message.immutableId] = true;
  delete destination.departed[message.immutableId];
  emitMessage(state, tenant, mailbox, message, 'created');
  return message;
}

/** Permanently deletes a message (Graph's DELETE: gone from the folder, delta reports `deleted`). */
export function deleteMessage(
  state: SimState,
  tenant: TenantState,
  mailbox: MailboxRec,
  message: MessageRec,
): void {
  const folder = mailbox.folders[message.folderId];
  const seq = state.nextSeq();
  if (folder) {
    delete folder.messageIds[message.immutableId];
    folder.departed[message.immutableId] = { seq, restId: message.restId };
  }
  delete mailbox.restIndex[message.restId];
  delete mailbox.messages[message.immutableId];
  emitMessage(state, tenant, mailbox, message, 'deleted');
}

export function folderCounts(
  mailbox: MailboxRec,
  folder: FolderRec,
): { total: number; unread: number; size: number } {
  let total = 0;
  let unread = 0;
  let size = 0;
  for (const immutableId of Object.keys(folder.messageIds)) {
    const message = mailbox.messages[immutableId];
    if (!message) continue;
    total += 1;
    if (!message.isRead) unread += 1;
    size += message.content.kind === 'blob' ? message.content.size : 0;
  }
  return { total, unread, size };
}
