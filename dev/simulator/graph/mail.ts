/**
 * Outlook mail: folders (`mailFolders`, `childFolders`, well-known names, `mailFolders/delta` as
 * the whole tree flat), messages (list, per-folder delta with `@removed` and 410
 * SyncStateNotFound, get, `$value` MIME, create from MIME or JSON, PATCH, move, delete) and
 * `sendMail`. Ids follow `Prefer: IdType="ImmutableId"`: without it a message's id changes when it
 * moves.
 */
import { permissions } from '../auth/graph-auth';
import type { GraphCall } from '../context';
import { GraphError, notFound } from '../http/errors';
import {
  applySelect,
  contextUrl,
  pageSizeFor,
  parseListQuery,
  parsePrefer,
  projectedContext,
  tokenLink,
  wantsImmutableIds,
} from '../http/odata';
import { empty, json, text } from '../http/types';
import type { SimResponse } from '../http/types';
import {
  addFolder,
  childFolders,
  deleteFolder,
  deleteMessage,
  folderById,
  messageById,
  moveMessage,
  renameFolder,
  rootFolder,
  updateMessage,
} from '../store/mail-store';
import { messageMime } from '../store/message-mime';
import type { FolderRec, MailboxRec, MessageRec } from '../store/model';
import {
  continuation,
  type DeltaEntry,
  type DeltaToken,
  nextRound,
  openToken,
  pageOf,
  startRound,
} from './delta';
import { compileFilter, getterFor } from './filter';
import {
  decodeBase64Mime,
  extendedProperties,
  extendedProperty,
  type JsonMessage,
  messageFromJson,
  messageFromMime,
} from './mail-create';
import { folderEntity, messageEntity } from './mail-entities';
import { listQuery, pagedList, type GraphRouter } from './route';
import { requireMailbox } from './users';
import { sendMail } from './mail-send';

function mailbox(call: GraphCall): MailboxRec {
  return requireMailbox(call, call.params['userId']!).mailbox;
}

function folder(call: GraphCall, box: MailboxRec, id = call.params['folderId']!): FolderRec {
  const f = folderById(box, id);
  if (!f) throw notFound.outlook();
  return f;
}

function message(call: GraphCall, box: MailboxRec): MessageRec {
  const m = messageById(box, call.params['messageId']!);
  if (!m) throw notFound.outlook();
  const folderId = call.params['folderId'];
  if (folderId && folderById(box, folderId)?.id !== m.folderId) throw notFound.outlook();
  return m;
}

function readJson<T>(call: GraphCall): T {
  try {
    return JSON.parse(call.req.body.toString('utf8') || '{}') as T;
  } catch {
    throw new GraphError(400, 'RequestBodyRead', 'Invalid JSON in the request body.');
  }
}

const userContext = (call: GraphCall, suffix: string) =>
  contextUrl(call.sim.graphBase, `users('${call.params['userId']}')/${suffix}`);

function listFolders(call: GraphCall, parent: FolderRec, box: MailboxRec): SimResponse {
  const { query, offset } = listQuery(call);
  const includeHidden = call.req.query.get('includeHiddenFolders') === 'true';
  const folders = childFolders(box, parent.id)
    .filter((f) => includeHidden || !f.isHidden)
    .sort((a, b) => a.displayName.localeCompare(b.displayName));
  return pagedList(call, query, offset, folders, (f) => applySelect(folderEntity(box, f), query.select), {
    default: 10,
    max: 1000,
    context: userContext(call, 'mailFolders'),
  });
}

function foldersDelta(call: GraphCall): SimResponse {
  const sim = call.sim;
  const box = mailbox(call);
  const q = call.req.query;
  const raw = q.get('$skiptoken') ?? q.get('$deltatoken');
  const base = { k: 'folders', t: call.tenant.id, r: box.userId, e: box.foldersEpoch };
  let token: DeltaToken;
  const opened = openToken(sim, raw, 'folders', call.tenant.id, box.userId);
  if (opened) {
    if (opened.e !== box.foldersEpoch) throw syncStateNotFound();
    token = nextRound(sim, opened);
  } else {
    token = startRound(sim, { ...base, q: parseListQuery(call.req) }, 0);
  }
  const entries: DeltaEntry<FolderRec>[] = [];
  for (const f of Object.values(box.folders)) {
    if (f.wellKnownName === 'msgfolderroot') continue;
    if (f.removed && token.s === 0) continue;
    entries.push({ seq: f.changeSeq, id: f.id, removed: f.removed ? 'deleted' : undefined, value: f });
  }
  const { size } = pageSizeFor(call.req, token.q, { default: 100, max: 1000 });
  const { page, last, done } = pageOf(entries, token, size);
  const link = continuation(sim, token, last, done);
  return json(200, {
    '@odata.context': contextUrl(sim.graphBase, 'Collection(mailFolder)'),
    [link.name === 'next' ? '@odata.nextLink' : '@odata.deltaLink']: tokenLink(
      sim.baseUrl,
      call.req.path,
      link.name === 'next' ? '$skiptoken' : '$deltatoken',
      link.token,
    ),
    value: page.map((e) =>
      e.removed
        ? { '@odata.type': '#microsoft.graph.mailFolder', id: e.id, '@removed': { reason: 'deleted' } }
        : applySelect(folderEntity(box, e.value), token.q.select),
    ),
  });
}

function syncStateNotFound(): GraphError {
  return new GraphError(
    410,
    'SyncStateNotFound',
    'The sync state generation is not found; the delta token is expired and data must be synchronized again.',
  );
}

const messageFilterProperties = new Set([
  'receiveddatetime',
  'isread',
  'subject',
  'hasattachments',
  'importance',
  'isdraft',
  'sentdatetime',
  'lastmodifieddatetime',
  'flag',
  'categories',
  'from',
  'internetmessageid',
]);

function messageGetter(m: MessageRec) {
  return getterFor({
    receivedDateTime: m.receivedDateTime,
    sentDateTime: m.sentDateTime,
    lastModifiedDateTime: m.lastModifiedDateTime,
    isRead: m.isRead,
    isDraft: m.isDraft,
    subject: m.subject,
    hasAttachments: m.hasAttachments,
    importance: m.importance,
    categories: m.categories,
    internetMessageId: m.internetMessageId,
    flag: { flagStatus: m.flagStatus },
    from: { emailAddress: m.from ?? {} },
  });
}

function messageFilter(text: string) {
  return compileFilter(text, (p) => messageFilterProperties.has(p.toLowerCase()), 'microsoft.graph.message');
}

async function messagesDelta(call: GraphCall): Promise<SimResponse> {
  const sim = call.sim;
  const box = mailbox(call);
  const f = folder(call, box);
  const q = call.req.query;
  const raw = q.get('$skiptoken') ?? q.get('$deltatoken');
  const resource = `${box.userId}/${f.id}`;
  let token: DeltaToken;
  const opened = openToken(sim, raw, 'messages', call.tenant.id, resource);
  if (opened) {
    if (opened.e !== f.epoch) throw syncStateNotFound();
    token = nextRound(sim, opened);
  } else {
    const query = parseListQuery(call.req);
    if (query.filter && !/^\s*receivedDateTime\s+(ge|gt)\s+\S+\s*$/i.test(query.filter)) {
      throw new GraphError(
        400,
        'ErrorInvalidUrlQueryFilter',
        'The query filter contains one or more invalid nodes.',
      );
    }
    const changeType = q.get('changeType');
    if (changeType && !['created', 'updated', 'deleted'].includes(changeType)) {
      throw new GraphError(
        400,
        'ErrorInvalidUrlQuery',
        `The value '${changeType}' of the changeType parameter is not supported.`,
      );
    }
    token = startRound(
      sim,
      {
        k: 'messages',
        t: call.tenant.id,
        r: resource,
        e: f.epoch,
        q: query,
        ...(changeType ? { x: { changeType } } : {}),
      },
      0,
    );
  }
  const changeType = token.x?.['changeType'];
  const predicate = token.q.filter ? messageFilter(token.q.filter) : undefined;
  const entries: DeltaEntry<MessageRec | string>[] = [];
  for (const immutableId of Object.keys(f.messageIds)) {
    const m = box.messages[immutableId];
    if (!m) continue;
    if (predicate && !predicate(messageGetter(m))) continue;
    if (changeType === 'created' && m.arrivedSeq <= token.s) continue;
    if (changeType === 'updated' && m.arrivedSeq > token.s) continue;
    if (changeType === 'deleted') continue;
    entries.push({ seq: m.changeSeq, id: immutableId, value: m });
  }
  if (token.s > 0 && (!changeType || changeType === 'deleted')) {
    for (const [immutableId, departed] of Object.entries(f.departed)) {
      entries.push({ seq: departed.seq, id: immutableId, removed: 'deleted', value: departed.restId });
    }
  }
  const { size } = pageSizeFor(call.req, token.q, { default: 10, max: 1000 });
  const { page, last, done } = pageOf(entries, token, size);
  const link = continuation(sim, token, last, done);
  const immutableIds = wantsImmutableIds(call.req);
  const value = [];
  for (const e of page) {
    if (e.removed) {
      value.push({
        '@odata.type': '#microsoft.graph.message',
        id: immutableIds ? e.id : (e.value as string),
        '@removed': { reason: 'deleted' },
      });
    } else {
      value.push(
        await messageEntity(sim, e.value as MessageRec, {
          immutableIds,
          select: token.q.select,
          typed: true,
        }),
      );
    }
  }
  return json(200, {
    '@odata.context': contextUrl(sim.graphBase, 'Collection(message)'),
    [link.name === 'next' ? '@odata.nextLink' : '@odata.deltaLink']: tokenLink(
      sim.baseUrl,
      call.req.path,
      link.name === 'next' ? '$skiptoken' : '$deltatoken',
      link.token,
    ),
    value,
  });
}

async function listMessages(call: GraphCall, box: MailboxRec, f?: FolderRec): Promise<SimResponse> {
  const { query, offset } = listQuery(call);
  const source = f ? Object.keys(f.messageIds).map((id) => box.messages[id]!) : Object.values(box.messages);
  let messages = source
    .filter(Boolean)
    .sort((a, b) =>
      a.receivedDateTime < b.receivedDateTime
        ? 1
        : a.receivedDateTime > b.receivedDateTime
          ? -1
          : a.immutableId < b.immutableId
            ? -1
            : 1,
    );
  if (query.filter) {
    const predicate = messageFilter(query.filter);
    messages = messages.filter((m) => predicate(messageGetter(m)));
  }
  const { size } = pageSizeFor(call.req, query, { default: 10, max: 1000 });
  const immutableIds = wantsImmutableIds(call.req);
  const rendered = new Map<MessageRec, unknown>();
  for (const m of messages.slice(offset, offset + size))
    rendered.set(m, await messageEntity(call.sim, m, { immutableIds, select: query.select }));
  return pagedList(call, query, offset, messages, (m) => rendered.get(m), {
    default: 10,
    max: 1000,
    context: projectedContext(call.sim.graphBase, `users('${call.params['userId']}')/messages`, query.select),
  });
}

async function getMessage(call: GraphCall): Promise<SimResponse> {
  const box = mailbox(call);
  const m = message(call, box);
  const { query } = listQuery(call);
  const bodyType = parsePrefer(call.req).get('outlook.body-content-type');
  const entity = await messageEntity(call.sim, m, {
    ...(bodyType ? { bodyType } : {}),
    immutableIds: wantsImmutableIds(call.req),
    select: query.select,
  });
  const headers: Record<string, string> = {};
  const bodyPref = parsePrefer(call.req).get('outlook.body-content-type');
  if (bodyPref) headers['preference-applied'] = `outlook.body-content-type="${bodyPref}"`;
  return json(200, { '@odata.context': userContext(call, 'messages/$entity'), ...entity }, headers);
}

function getMime(call: GraphCall): SimResponse {
  const box = mailbox(call);
  const m = message(call, box);
  if (call.vanish) {
    deleteMessage(call.sim.state, call.tenant, box, m);
    throw notFound.outlook();
  }
  return text(200, messageMime(call.sim.state, m), 'text/plain');
}

async function createMessage(call: GraphCall): Promise<SimResponse> {
  const box = mailbox(call);
  const target = call.params['folderId'] ? folder(call, box) : folder(call, box, 'drafts');
  const contentType = (call.req.headers['content-type'] ?? '').toLowerCase();
  const user = call.sim.state.user(call.tenant, box.userId)!;
  let created: MessageRec;
  if (contentType.startsWith('text/plain')) {
    const mime = decodeBase64Mime(call.req.body);
    created = await messageFromMime(call.sim, call.tenant, box, target, mime, {
      isDraft: true,
      isRead: true,
    });
  } else {
    const body = readJson<JsonMessage>(call);
    created = await messageFromJson(call.sim, call.tenant, box, target, body, {
      from: { name: user.displayName, address: user.mail ?? user.userPrincipalName },
      isDraft: true,
    });
  }
  const entity = await messageEntity(call.sim, created, { immutableIds: wantsImmutableIds(call.req) });
  return json(201, { '@odata.context': userContext(call, 'messages/$entity'), ...entity });
}

async function patchMessage(call: GraphCall): Promise<SimResponse> {
  const box = mailbox(call);
  const m = message(call, box);
  const body = readJson<JsonMessage & { inferenceClassification?: string }>(call);
  const props = extendedProperties(body);
  updateMessage(call.sim.state, call.tenant, box, m, (msg) => {
    if (typeof body.isRead === 'boolean') msg.isRead = body.isRead;
    if (body.flag?.flagStatus) msg.flagStatus = body.flag.flagStatus;
    if (Array.isArray(body.categories)) msg.categories = body.categories;
    if (body.importance) msg.importance = body.importance;
    if (typeof body.subject === 'string' && msg.isDraft) msg.subject = body.subject;
    // Exchange lets delivery and submit times be set; MSGFLAG_UNSENT is fixed at the first save.
    const received = props[extendedProperty.deliveryTime];
    if (received) msg.receivedDateTime = new Date(received).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const sent = props[extendedProperty.submitTime];
    if (sent) msg.sentDateTime = new Date(sent).toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (Object.keys(props).length) msg.extendedProperties = { ...msg.extendedProperties, ...props };
  });
  const entity = await messageEntity(call.sim, m, { immutableIds: wantsImmutableIds(call.req) });
  return json(200, { '@odata.context': userContext(call, 'messages/$entity'), ...entity });
}

async function moveMessageRoute(call: GraphCall): Promise<SimResponse> {
  const box = mailbox(call);
  const m = message(call, box);
  const body = readJson<{ destinationId?: string }>(call);
  if (!body.destinationId) throw new GraphError(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');
  const destination = folderById(box, body.destinationId);
  if (!destination) throw notFound.outlook();
  moveMessage(call.sim.state, call.tenant, box, m, destination);
  const entity = await messageEntity(call.sim, m, { immutableIds: wantsImmutableIds(call.req) });
  return json(201, { '@odata.context': userContext(call, 'messages/$entity'), ...entity });
}

function createFolder(call: GraphCall, parent: FolderRec, box: MailboxRec): SimResponse {
  const body = readJson<{ displayName?: string; isHidden?: boolean }>(call);
  if (!body.displayName) throw new GraphError(400, 'ErrorInvalidRequest', 'The displayName is required.');
  if (
    childFolders(box, parent.id).some((f) => f.displayName.toLowerCase() === body.displayName!.toLowerCase())
  ) {
    throw new GraphError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
  }
  const created = addFolder(call.sim.state, call.tenant, box, parent, body.displayName);
  if (body.isHidden) created.isHidden = true;
  return json(201, {
    '@odata.context': userContext(call, 'mailFolders/$entity'),
    ...folderEntity(box, created),
  });
}

export function registerMail(router: GraphRouter): void {
  const read = { roles: permissions.mailRead, deny: 'mail' as const, mailbox: 'userId' };
  const content = { roles: permissions.mailReadContent, deny: 'mail' as const, mailbox: 'userId' };
  const write = { roles: permissions.mailWrite, deny: 'mail' as const, mailbox: 'userId' };

  router.add('GET', 'users/{userId}/mailFolders', {
    ...read,
    handle: (call) => {
      const box = mailbox(call);
      return listFolders(call, rootFolder(box), box);
    },
  });
  router.add('GET', 'users/{userId}/mailFolders/delta', { ...read, handle: foldersDelta });
  router.add('GET', 'users/{userId}/mailFolders/{folderId}', {
    ...read,
    handle: (call) => {
      const box = mailbox(call);
      const { query } = listQuery(call);
      return json(200, {
        '@odata.context': userContext(call, 'mailFolders/$entity'),
        ...applySelect(folderEntity(box, folder(call, box)), query.select),
      });
    },
  });
  router.add('GET', 'users/{userId}/mailFolders/{folderId}/childFolders', {
    ...read,
    handle: (call) => {
      const box = mailbox(call);
      return listFolders(call, folder(call, box), box);
    },
  });
  router.add('POST', 'users/{userId}/mailFolders', {
    ...write,
    handle: (call) => {
      const box = mailbox(call);
      return createFolder(call, rootFolder(box), box);
    },
  });
  router.add('POST', 'users/{userId}/mailFolders/{folderId}/childFolders', {
    ...write,
    handle: (call) => {
      const box = mailbox(call);
      return createFolder(call, folder(call, box), box);
    },
  });
  router.add('PATCH', 'users/{userId}/mailFolders/{folderId}', {
    ...write,
    handle: (call) => {
      const box = mailbox(call);
      const f = folder(call, box);
      const body = readJson<{ displayName?: string }>(call);
      if (body.displayName) renameFolder(call.sim.state, call.tenant, box, f, body.displayName);
      return json(200, {
        '@odata.context': userContext(call, 'mailFolders/$entity'),
        ...folderEntity(box, f),
      });
    },
  });
  router.add('DELETE', 'users/{userId}/mailFolders/{folderId}', {
    ...write,
    handle: (call) => {
      const box = mailbox(call);
      const f = folder(call, box);
      if (f.wellKnownName)
        throw new GraphError(
          403,
          'ErrorDeleteDistinguishedFolder',
          'Distinguished folders cannot be deleted.',
        );
      deleteFolder(call.sim.state, call.tenant, box, f);
      return empty(204);
    },
  });

  router.add('GET', 'users/{userId}/messages', {
    ...read,
    handle: (call) => listMessages(call, mailbox(call)),
  });
  router.add('GET', 'users/{userId}/mailFolders/{folderId}/messages', {
    ...read,
    handle: (call) => {
      const box = mailbox(call);
      return listMessages(call, box, folder(call, box));
    },
  });
  router.add('GET', 'users/{userId}/mailFolders/{folderId}/messages/delta', {
    ...read,
    handle: messagesDelta,
  });
  for (const prefix of ['users/{userId}/messages', 'users/{userId}/mailFolders/{folderId}/messages']) {
    router.add('POST', prefix, { ...write, handle: createMessage });
    router.add('GET', `${prefix}/{messageId}`, { ...read, handle: getMessage });
    router.add('GET', `${prefix}/{messageId}/$value`, { ...content, handle: getMime });
    router.add('PATCH', `${prefix}/{messageId}`, { ...write, handle: patchMessage });
    router.add('DELETE', `${prefix}/{messageId}`, {
      ...write,
      handle: (call) => {
        const box = mailbox(call);
        deleteMessage(call.sim.state, call.tenant, box, message(call, box));
        return empty(204);
      },
    });
    router.add('POST', `${prefix}/{messageId}/move`, { ...write, handle: moveMessageRoute });
  }
  router.add('POST', 'users/{userId}/sendMail', {
    roles: permissions.mailSend,
    deny: 'mail',
    mailbox: 'userId',
    handle: sendMail,
  });
}
