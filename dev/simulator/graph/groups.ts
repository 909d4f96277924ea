/**
 * Groups: `/groups` (the Unified filter, `$select`, paging), `/groups/delta`, `/groups/{id}`,
 * members and owners, the group's team site (`/groups/{id}/sites/root`) and conversations
 * (`threads`, `posts`). The group's drive is served by drives.ts.
 */
import { permissions } from '../auth/graph-auth';
import type { GraphCall } from '../context';
import { GraphError, notFound } from '../http/errors';
import { applySelect, contextUrl, pageSizeFor, projectedContext, tokenLink } from '../http/odata';
import { json } from '../http/types';
import { changeKey } from '../ids';
import type { GroupRec, PostRec, ThreadRec, UserRec } from '../store/model';
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
import { listQuery, pagedList, type GraphRouter } from './route';
import { siteEntity } from './sites';

export function groupEntity(group: GroupRec, domain: string): Record<string, unknown> {
  return {
    id: group.id,
    deletedDateTime: null,
    classification: null,
    createdDateTime: group.createdDateTime,
    creationOptions: group.resourceProvisioningOptions.includes('Team') ? ['Team'] : [],
    description: group.description,
    displayName: group.displayName,
    expirationDateTime: null,
    groupTypes: group.groupTypes,
    isAssignableToRole: null,
    mail: group.mail,
    mailEnabled: true,
    mailNickname: group.mailNickname,
    membershipRule: null,
    membershipRuleProcessingState: null,
    onPremisesDomainName: null,
    onPremisesLastSyncDateTime: null,
    onPremisesNetBiosName: null,
    onPremisesSamAccountName: null,
    onPremisesSecurityIdentifier: null,
    onPremisesSyncEnabled: null,
    preferredDataLocation: 'EUR',
    preferredLanguage: null,
    proxyAddresses: [`SMTP:${group.mail}`, `smtp:${group.mailNickname}@${domain}`],
    renewedDateTime: group.createdDateTime,
    resourceBehaviorOptions: [],
    resourceProvisioningOptions: group.resourceProvisioningOptions,
    securityEnabled: false,
    securityIdentifier: `S-1-12-1-${(group.id ?? '').replace(/-/g, '').slice(0, 8)}`,
    theme: null,
    visibility: group.visibility,
    onPremisesProvisioningErrors: [],
  };
}

const knownGroupProperties = new Set(
  Object.keys(groupEntity({ resourceProvisioningOptions: [] } as unknown as GroupRec, '')).map((k) =>
    k.toLowerCase(),
  ),
);

function renderGroup(call: GraphCall, group: GroupRec, select: string[] | undefined) {
  for (const p of select ?? []) {
    if (
      !knownGroupProperties.has(p.toLowerCase()) &&
      p !== '*' &&
      p.toLowerCase() !== 'members' &&
      p.toLowerCase() !== 'owners'
    ) {
      throw new GraphError(
        400,
        'BadRequest',
        `Could not find a property named '${p}' on type 'microsoft.graph.group'.`,
      );
    }
  }
  return applySelect(groupEntity(group, call.tenant.domain), select, select ? [] : ['id']);
}

function groupFilter(text: string) {
  return compileFilter(text, (p) => knownGroupProperties.has(p.toLowerCase()), 'microsoft.graph.group');
}

export function resolveGroup(call: GraphCall, id: string): GroupRec {
  const group = call.tenant.groups[id];
  if (!group || group.removed) throw notFound.directory(id);
  return group;
}

function listGroups(call: GraphCall) {
  const { query, offset } = listQuery(call);
  let groups = Object.values(call.tenant.groups)
    .filter((g) => !g.removed)
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  if (query.filter) {
    const predicate = groupFilter(query.filter);
    groups = groups.filter((g) => predicate(getterFor(groupEntity(g, call.tenant.domain))));
  }
  call.extraHeaders = {
    ...call.extraHeaders,
    ...call.sim.throttling.chargeDirectory(call.token.appId, call.tenant.id, query.select ? 1 : 2),
  };
  return pagedList(call, query, offset, groups, (g) => renderGroup(call, g, query.select), {
    default: 100,
    max: 999,
    context: projectedContext(call.sim.graphBase, 'groups', query.select),
  });
}

function directoryObject(user: UserRec) {
  return {
    '@odata.type': '#microsoft.graph.user',
    id: user.id,
    businessPhones: user.businessPhones,
    displayName: user.displayName,
    givenName: user.givenName,
    jobTitle: user.jobTitle,
    mail: user.mail,
    mobilePhone: user.mobilePhone,
    officeLocation: user.officeLocation,
    preferredLanguage: user.preferredLanguage,
    surname: user.surname,
    userPrincipalName: user.userPrincipalName,
  };
}

function groupsDelta(call: GraphCall) {
  const sim = call.sim;
  const q = call.req.query;
  const raw = q.get('$skiptoken') ?? q.get('$deltatoken');
  const base = { k: 'groups', t: call.tenant.id, r: 'groups', e: call.tenant.directoryEpoch };
  if (raw === 'latest') {
    const link = continuation(
      sim,
      startRound(sim, { ...base, q: {} }, sim.state.currentSeq),
      undefined,
      true,
    );
    return json(200, {
      '@odata.context': contextUrl(sim.graphBase, 'groups'),
      '@odata.deltaLink': tokenLink(sim.baseUrl, call.req.path, '$deltatoken', link.token),
      value: [],
    });
  }
  let token: DeltaToken;
  const opened = openToken(sim, raw, 'groups', call.tenant.id, 'groups');
  if (opened) {
    if (
      opened.e !== call.tenant.directoryEpoch ||
      sim.state.now().getTime() - opened.i > sim.limits.directoryDeltaTokenLifetimeMs
    ) {
      throw new GraphError(
        410,
        'resyncRequired',
        'The delta token is no longer valid. Synchronization must start again from scratch.',
        {
          location: `${sim.graphBase}/groups/delta?$deltatoken=`,
        },
      );
    }
    token = nextRound(sim, opened);
  } else {
    const select = q.get('$select');
    const filter = q.get('$filter');
    token = startRound(
      sim,
      {
        ...base,
        q: {
          ...(select ? { select: select.split(',').map((s) => s.trim()) } : {}),
          ...(filter ? { filter } : {}),
        },
      },
      0,
    );
  }
  const predicate = token.q.filter ? groupFilter(token.q.filter) : undefined;
  const entries: DeltaEntry<GroupRec>[] = [];
  for (const group of Object.values(call.tenant.groups)) {
    if (group.removed && token.s === 0) continue;
    if (predicate && !predicate(getterFor(groupEntity(group, call.tenant.domain)))) continue;
    entries.push({ seq: group.changeSeq, id: group.id, removed: group.removed?.reason, value: group });
  }
  const { size } = pageSizeFor(call.req, {}, { default: 100, max: 999 });
  const { page, last, done } = pageOf(entries, token, size);
  const link = continuation(sim, token, last, done);
  const withMembers = token.q.select?.some((s) => s.toLowerCase() === 'members');
  return json(200, {
    '@odata.context': projectedContext(sim.graphBase, 'groups', token.q.select),
    [link.name === 'next' ? '@odata.nextLink' : '@odata.deltaLink']: tokenLink(
      sim.baseUrl,
      call.req.path,
      link.name === 'next' ? '$skiptoken' : '$deltatoken',
      link.token,
    ),
    value: page.map((e) => {
      if (e.removed) return { id: e.id, '@removed': { reason: e.removed } };
      const body: Record<string, unknown> = renderGroup(
        call,
        e.value,
        token.q.select?.filter((s) => s.toLowerCase() !== 'members'),
      );
      if (withMembers)
        body['members@delta'] = e.value.memberIds.map((id) => ({
          '@odata.type': '#microsoft.graph.user',
          id,
        }));
      return body;
    }),
  });
}

function threadEntity(thread: ThreadRec) {
  const senders = [...new Set(thread.posts.map((p) => p.from.name))];
  const lastPost = thread.posts[thread.posts.length - 1];
  return {
    id: thread.id,
    topic: thread.topic,
    hasAttachments: false,
    lastDeliveredDateTime: thread.lastDeliveredDateTime,
    uniqueSenders: senders,
    preview: (lastPost?.bodyHtml ?? '').replace(/<[^>]*>/g, '').slice(0, 255),
    isLocked: false,
    toRecipients: [],
    ccRecipients: [],
  };
}

function postEntity(thread: ThreadRec, post: PostRec, group: GroupRec) {
  return {
    id: post.id,
    createdDateTime: post.createdDateTime,
    lastModifiedDateTime: post.createdDateTime,
    changeKey: changeKey(post.id),
    categories: [],
    receivedDateTime: post.receivedDateTime,
    hasAttachments: false,
    body: { contentType: 'html', content: post.bodyHtml },
    from: { emailAddress: post.from },
    sender: { emailAddress: post.from },
    conversationThreadId: thread.id,
    conversationId: thread.id.replace(/^AAMkA/, 'AAQkA'),
    newParticipants: [],
    inReplyTo: null,
    groupMail: group.mail,
  };
}

function resolveThread(group: GroupRec, id: string): ThreadRec {
  const thread = group.threads.find((t) => t.id === id);
  if (!thread) throw notFound.outlook();
  return thread;
}

export function registerGroups(router: GraphRouter): void {
  const read = { roles: permissions.groupRead, deny: 'directory' as const };
  router.add('GET', 'groups', { ...read, handle: listGroups });
  router.add('GET', 'groups/delta', { ...read, handle: groupsDelta });
  router.add('GET', 'groups/{groupId}', {
    ...read,
    handle: (call) => {
      const { query } = listQuery(call);
      const group = resolveGroup(call, call.params['groupId']!);
      return json(200, {
        '@odata.context': contextUrl(call.sim.graphBase, 'groups/$entity'),
        ...renderGroup(call, group, query.select),
      });
    },
  });
  for (const relation of ['members', 'owners'] as const) {
    router.add('GET', `groups/{groupId}/${relation}`, {
      ...read,
      handle: (call) => {
        const { query, offset } = listQuery(call);
        const group = resolveGroup(call, call.params['groupId']!);
        const ids = relation === 'members' ? group.memberIds : group.ownerIds;
        const users = ids.map((id) => call.tenant.users[id]).filter((u): u is UserRec => !!u && !u.removed);
        call.extraHeaders = {
          ...call.extraHeaders,
          ...call.sim.throttling.chargeDirectory(call.token.appId, call.tenant.id, 3),
        };
        return pagedList(call, query, offset, users, (u) => applySelect(directoryObject(u), query.select), {
          default: 100,
          max: 999,
          context: contextUrl(call.sim.graphBase, 'directoryObjects'),
        });
      },
    });
  }
  router.add('GET', 'groups/{groupId}/sites/root', {
    roles: permissions.sitesRead,
    deny: 'files',
    handle: (call) => {
      const group = resolveGroup(call, call.params['groupId']!);
      const site = call.tenant.sites[group.siteId];
      if (!site) throw notFound.drive();
      call.extraHeaders = {
        ...call.extraHeaders,
        ...call.sim.throttling.chargeSharePoint(call.tenant.id, 1),
      };
      return json(200, {
        '@odata.context': contextUrl(call.sim.graphBase, 'sites/$entity'),
        ...siteEntity(site),
      });
    },
  });
  const conversations = { roles: permissions.groupConversations, deny: 'mail' as const };
  router.add('GET', 'groups/{groupId}/threads', {
    ...conversations,
    handle: (call) => {
      const { query, offset } = listQuery(call);
      const group = resolveGroup(call, call.params['groupId']!);
      const threads = [...group.threads].sort((a, b) =>
        a.lastDeliveredDateTime < b.lastDeliveredDateTime ? 1 : -1,
      );
      return pagedList(call, query, offset, threads, (t) => applySelect(threadEntity(t), query.select), {
        default: 10,
        max: 1000,
        context: contextUrl(call.sim.graphBase, `groups('${group.id}')/threads`),
      });
    },
  });
  router.add('GET', 'groups/{groupId}/threads/{threadId}', {
    ...conversations,
    handle: (call) => {
      const group = resolveGroup(call, call.params['groupId']!);
      const thread = resolveThread(group, call.params['threadId']!);
      return json(200, {
        '@odata.context': contextUrl(call.sim.graphBase, `groups('${group.id}')/threads/$entity`),
        ...threadEntity(thread),
      });
    },
  });
  router.add('GET', 'groups/{groupId}/threads/{threadId}/posts', {
    ...conversations,
    handle: (call) => {
      const { query, offset } = listQuery(call);
      const group = resolveGroup(call, call.params['groupId']!);
      const thread = resolveThread(group, call.params['threadId']!);
      return pagedList(
        call,
        query,
        offset,
        thread.posts,
        (p) => applySelect(postEntity(thread, p, group), query.select),
        {
          default: 10,
          max: 1000,
          context: contextUrl(call.sim.graphBase, `groups('${group.id}')/threads('${thread.id}')/posts`),
        },
      );
    },
  });
}
