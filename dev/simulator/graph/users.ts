/**
 * Users: `/users` (paging, `$select`, `$filter`, `$count` with ConsistencyLevel), `/users/{id|upn}`,
 * `/users/delta` and `/users/{id}/mailboxSettings` (404 MailboxNotEnabledForRESTAPI without a
 * mailbox).
 */
import { permissions } from '../auth/graph-auth';
import type { GraphCall } from '../context';
import { GraphError, notFound } from '../http/errors';
import { applySelect, contextUrl, pageSizeFor, projectedContext, tokenLink } from '../http/odata';
import { json, text } from '../http/types';
import type { TenantState, UserRec } from '../store/model';
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

export const defaultUserProperties = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

const skuE3 = '05e9a617-0261-4cee-bb44-138d3ef5d965';

export function userEntity(user: UserRec): Record<string, unknown> {
  return {
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
    id: user.id,
    accountEnabled: user.accountEnabled,
    userType: user.userType,
    createdDateTime: user.createdDateTime,
    mailNickname: user.mailNickname,
    assignedLicenses: user.licensed ? [{ disabledPlans: [], skuId: skuE3 }] : [],
    otherMails: [],
    proxyAddresses: user.mail ? [`SMTP:${user.mail}`] : [],
    usageLocation: 'US',
  };
}

const knownUserProperties = new Set(Object.keys(userEntity({} as UserRec)).map((k) => k.toLowerCase()));

/** Properties stored outside the directory's main store: not returned in lists or tracked by delta. */
const notInMainStore = new Set([
  'mailboxsettings',
  'skills',
  'aboutme',
  'birthday',
  'hiredate',
  'interests',
  'mysite',
  'pastprojects',
  'preferredname',
  'responsibilities',
  'schools',
]);

function renderUser(user: UserRec, select: string[] | undefined): Record<string, unknown> {
  const entity = userEntity(user);
  if (!select) return applySelect(entity, defaultUserProperties);
  for (const property of select) {
    if (!knownUserProperties.has(property.toLowerCase()) && property !== '*') {
      if (notInMainStore.has(property.toLowerCase())) {
        throw new GraphError(501, 'NotImplemented', 'This operation target is not yet supported.');
      }
      throw new GraphError(
        400,
        'BadRequest',
        `Could not find a property named '${property}' on type 'microsoft.graph.user'.`,
      );
    }
  }
  return applySelect(entity, select, []);
}

function liveUsers(tenant: TenantState): UserRec[] {
  return Object.values(tenant.users)
    .filter((u) => !u.removed)
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

export function resolveUser(call: GraphCall, idOrUpn: string): UserRec {
  const user = call.sim.state.user(call.tenant, idOrUpn);
  if (!user) throw notFound.directory(idOrUpn);
  return user;
}

function userFilter(text: string) {
  return compileFilter(text, (p) => knownUserProperties.has(p.toLowerCase()), 'microsoft.graph.user');
}

function listUsers(call: GraphCall) {
  const { query, offset } = listQuery(call);
  const eventual = (call.req.headers['consistencylevel'] ?? '').toLowerCase() === 'eventual';
  if ((query.count || query.search) && !eventual && offset === 0) {
    throw new GraphError(400, 'Request_UnsupportedQuery', 'Unsupported query.');
  }
  let users = liveUsers(call.tenant);
  if (query.filter) {
    const predicate = userFilter(query.filter);
    users = users.filter((u) => predicate(getterFor(userEntity(u))));
  }
  if (query.search) {
    const m = /^"?(\w+):([^"]*)"?$/.exec(query.search.trim());
    if (m) {
      const [, prop, term] = m;
      users = users.filter((u) =>
        String(userEntity(u)[prop!] ?? '')
          .toLowerCase()
          .includes(term!.toLowerCase()),
      );
    }
  }
  call.extraHeaders = {
    ...call.extraHeaders,
    ...call.sim.throttling.chargeDirectory(call.token.appId, call.tenant.id, query.select ? 1 : 2),
  };
  return pagedList(call, query, offset, users, (u) => renderUser(u, query.select), {
    default: 100,
    max: 999,
    context: projectedContext(call.sim.graphBase, 'users', query.select),
  });
}

function usersDelta(call: GraphCall) {
  const sim = call.sim;
  const q = call.req.query;
  const raw = q.get('$skiptoken') ?? q.get('$deltatoken');
  let token: DeltaToken;
  if (raw === 'latest') {
    const latest = startRound(
      sim,
      { k: 'users', t: call.tenant.id, r: 'users', e: call.tenant.directoryEpoch, q: {} },
      sim.state.currentSeq,
    );
    const link = continuation(sim, latest, undefined, true);
    return json(200, {
      '@odata.context': contextUrl(sim.graphBase, 'users'),
      '@odata.deltaLink': tokenLink(sim.baseUrl, call.req.path, '$deltatoken', link.token),
      value: [],
    });
  }
  const opened = openToken(sim, raw, 'users', call.tenant.id, 'users');
  if (opened) {
    const expired =
      opened.e !== call.tenant.directoryEpoch ||
      sim.state.now().getTime() - opened.i > sim.limits.directoryDeltaTokenLifetimeMs;
    if (expired) {
      throw new GraphError(
        410,
        'resyncRequired',
        'The delta token is no longer valid. Synchronization must start again from scratch.',
        {
          location: `${sim.graphBase}/users/delta?$deltatoken=`,
        },
      );
    }
    token = nextRound(sim, opened);
  } else {
    const query: DeltaToken['q'] = {};
    const select = q.get('$select');
    if (select) query.select = select.split(',').map((s) => s.trim());
    const filter = q.get('$filter');
    if (filter) query.filter = filter;
    if (q.get('$top') !== null)
      throw new GraphError(
        400,
        'Request_UnsupportedQuery',
        'The specified query option $top is not supported for delta queries.',
      );
    token = startRound(
      sim,
      { k: 'users', t: call.tenant.id, r: 'users', e: call.tenant.directoryEpoch, q: query },
      0,
    );
  }
  const initial = token.s === 0;
  const predicate = token.q.filter ? userFilter(token.q.filter) : undefined;
  const entries: DeltaEntry<UserRec>[] = [];
  for (const user of Object.values(call.tenant.users)) {
    if (user.removed && initial) continue;
    if (predicate && !predicate(getterFor(userEntity(user)))) continue;
    entries.push({ seq: user.changeSeq, id: user.id, removed: user.removed?.reason, value: user });
  }
  const { size } = pageSizeFor(call.req, {}, { default: 100, max: 999 });
  const { page, last, done } = pageOf(entries, token, size);
  const link = continuation(sim, token, last, done);
  call.extraHeaders = {
    ...call.extraHeaders,
    ...call.sim.throttling.chargeDirectory(call.token.appId, call.tenant.id, 1),
  };
  return json(200, {
    '@odata.context': projectedContext(sim.graphBase, 'users', token.q.select),
    [link.name === 'next' ? '@odata.nextLink' : '@odata.deltaLink']: tokenLink(
      sim.baseUrl,
      call.req.path,
      link.name === 'next' ? '$skiptoken' : '$deltatoken',
      link.token,
    ),
    value: page.map((e) =>
      e.removed
        ? { id: e.id, '@removed': { reason: e.removed } }
        : renderUser(e.value, token.q.select ? [...token.q.select, 'id'] : undefined),
    ),
  });
}

export function mailboxSettingsEntity(call: GraphCall, user: UserRec): Record<string, unknown> {
  const mailbox = call.tenant.mailboxes[user.id]!;
  return {
    '@odata.context': contextUrl(call.sim.graphBase, `users('${user.id}')/mailboxSettings`),
    archiveFolder: Object.values(mailbox.folders).find((f) => f.wellKnownName === 'archive')?.id ?? null,
    timeZone: mailbox.timeZone,
    delegateMeetingMessageDeliveryOptions: 'sendToDelegateOnly',
    dateFormat: 'MM/dd/yyyy',
    timeFormat: 'hh:mm tt',
    userPurpose: { value: 'user' },
    automaticRepliesSetting: {
      status: 'disabled',
      externalAudience: 'all',
      internalReplyMessage: '',
      externalReplyMessage: '',
      scheduledStartDateTime: { dateTime: '2024-01-01T00:00:00.0000000', timeZone: 'UTC' },
      scheduledEndDateTime: { dateTime: '2024-01-02T00:00:00.0000000', timeZone: 'UTC' },
    },
    language: mailbox.language,
    workingHours: {
      daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
      startTime: '08:00:00.0000000',
      endTime: '17:00:00.0000000',
      timeZone: { name: mailbox.timeZone },
    },
  };
}

/** 404 MailboxNotEnabledForRESTAPI unless the user has an enabled mailbox. */
export function requireMailbox(call: GraphCall, idOrUpn: string) {
  const user = call.sim.state.user(call.tenant, idOrUpn);
  if (!user) throw new GraphError(404, 'ErrorInvalidUser', `The requested user '${idOrUpn}' is invalid.`);
  const mailbox = call.tenant.mailboxes[user.id];
  if (!mailbox || !mailbox.enabled || !user.hasMailbox) {
    throw new GraphError(
      404,
      'MailboxNotEnabledForRESTAPI',
      'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
    );
  }
  return { user, mailbox };
}

export function registerUsers(router: GraphRouter): void {
  router.add('GET', 'users', { roles: permissions.userRead, deny: 'directory', handle: listUsers });
  router.add('GET', 'users/$count', {
    roles: permissions.userRead,
    deny: 'directory',
    handle: (call) => {
      if ((call.req.headers['consistencylevel'] ?? '').toLowerCase() !== 'eventual') {
        throw new GraphError(400, 'Request_BadRequest', 'Count is not currently supported.');
      }
      return text(200, String(liveUsers(call.tenant).length));
    },
  });
  router.add('GET', 'users/delta', { roles: permissions.userRead, deny: 'directory', handle: usersDelta });
  router.add('GET', 'users/{userId}', {
    roles: permissions.userRead,
    deny: 'directory',
    handle: (call) => {
      const user = resolveUser(call, call.params['userId']!);
      const { query } = listQuery(call);
      call.extraHeaders = {
        ...call.extraHeaders,
        ...call.sim.throttling.chargeDirectory(call.token.appId, call.tenant.id, 1),
      };
      return json(200, {
        '@odata.context': contextUrl(call.sim.graphBase, 'users/$entity'),
        ...renderUser(user, query.select),
      });
    },
  });
  router.add('GET', 'users/{userId}/mailboxSettings', {
    roles: permissions.mailboxSettings,
    deny: 'mail',
    mailbox: 'userId',
    handle: (call) => {
      const { user } = requireMailbox(call, call.params['userId']!);
      return json(200, mailboxSettingsEntity(call, user));
    },
  });
}
