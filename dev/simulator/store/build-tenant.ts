/**
 * Turns a generated tenant (metadata only) into simulator state: users with mailboxes and
 * OneDrives, sites with libraries, groups with team sites and conversations, and the default
 * consent and portal role assignments.
 */
import type { GenTenant, TenantShape } from '../generator/contract';
import { driveId, guid } from '../ids';
import {
  addGroupFromGen,
  addMailbox,
  addPersonalDrive,
  addSite,
  fillDrive,
  userFromGen,
} from './directory-store';
import type { TenantState } from './model';
import type { SimState } from './state';

export interface BuildOptions {
  tenantIndex: number;
  shape: TenantShape;
  now: Date;
  isProvider?: boolean;
  /** Override the generated identity (the provider tenant has a fixed id). */
  id?: string;
  displayName?: string;
  consent?: { clientId: string; roles: string[] };
}

export function buildTenant(state: SimState, options: BuildOptions): TenantState {
  const gen: GenTenant = state.generator.generateTenant({
    seed: state.data.seed,
    tenantIndex: options.tenantIndex,
    shape: options.shape,
    now: options.now,
  });
  const id = (options.id ?? gen.tenantId).toLowerCase();
  const tenant: TenantState = {
    id,
    index: options.tenantIndex,
    isProvider: options.isProvider ?? false,
    displayName: options.displayName ?? gen.displayName,
    domain: gen.domain,
    sharePointHost: gen.sharePointHost,
    consent: {},
    users: {},
    groups: {},
    sites: {},
    drives: {},
    mailboxes: {},
    portalRoles: {},
    directoryEpoch: 0,
    shape: options.shape,
  };
  state.data.tenants[id] = tenant;
  const created = new Date(options.now.getTime() - 365 * 24 * 3600_000)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');

  // The root site always exists; the generator may describe it (urlPath '').
  const genRoot = gen.sites.find((s) => s.urlPath === '');
  const rootCollection = genRoot?.siteCollectionId ?? guid(id, 'root-sc');
  const rootWeb = genRoot?.webId ?? guid(id, 'root-web');
  const rootSite = addSite(
    state,
    tenant,
    {
      id: `${gen.sharePointHost},${rootCollection},${rootWeb}`,
      siteCollectionId: rootCollection,
      webId: rootWeb,
      host: gen.sharePointHost,
      urlPath: '',
      name: 'Communication site',
      displayName: genRoot?.displayName ?? 'Communication site',
      description: genRoot?.description ?? '',
      createdDateTime: genRoot?.createdDateTime ?? created,
      lastModifiedDateTime: genRoot?.createdDateTime ?? created,
      kind: 'root',
    },
    (genRoot?.libraries ?? [{ name: 'Documents' }]).map((l) => ({
      name: l.name,
      id: driveId(id, 'root', l.name),
    })),
  );
  genRoot?.libraries.forEach((library, i) =>
    fillDrive(state, tenant.drives[rootSite.driveIds[i]!]!, library),
  );

  for (const genUser of gen.users) {
    const user = userFromGen(genUser, state.nextSeq(), created);
    tenant.users[user.id] = user;
    if (genUser.mailbox) addMailbox(state, tenant, user, genUser.mailbox);
    if (genUser.drive) {
      const drive = addPersonalDrive(state, tenant, user, created);
      fillDrive(state, drive, genUser.drive);
    }
  }

  for (const genSite of gen.sites) {
    if (genSite.urlPath === '') continue;
    const site = addSite(
      state,
      tenant,
      {
        id: `${gen.sharePointHost},${genSite.siteCollectionId},${genSite.webId}`,
        siteCollectionId: genSite.siteCollectionId,
        webId: genSite.webId,
        host: gen.sharePointHost,
        urlPath: genSite.urlPath,
        name: genSite.urlPath.split('/').pop() ?? genSite.displayName,
        displayName: genSite.displayName,
        description: genSite.description,
        createdDateTime: genSite.createdDateTime,
        lastModifiedDateTime: genSite.createdDateTime,
        kind: 'site',
      },
      genSite.libraries.map((l) => ({ name: l.name })),
    );
    genSite.libraries.forEach((library, i) => fillDrive(state, tenant.drives[site.driveIds[i]!]!, library));
  }

  for (const genGroup of gen.groups) addGroupFromGen(state, tenant, genGroup, false);

  // Portal roles: the first member administers the tenant, the second reads; provider users operate.
  const members = Object.values(tenant.users).filter((u) => u.userType === 'Member');
  if (tenant.isProvider) {
    for (const user of members) tenant.portalRoles[user.id] = ['Backup.Operator', 'Backup.Admin'];
  } else {
    if (members[0]) tenant.portalRoles[members[0].id] = ['Backup.Admin'];
    if (members[1]) tenant.portalRoles[members[1].id] = ['Backup.Reader'];
  }
  if (options.consent) {
    tenant.consent[options.consent.clientId] = {
      roles: [...options.consent.roles],
      consentedAt: state.nowIso(),
    };
  }
  return tenant;
}
