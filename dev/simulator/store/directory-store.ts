/**
 * Entra ID objects (users, groups) and SharePoint sites, with what comes with them: a user's
 * mailbox and OneDrive (and its personal site), a group's team site and library.
 */
import type { GenGroup, GenMailbox, GenUser } from '../generator/contract';
import { driveId, guid, mailFolderId } from '../ids';
import { createDrive, ensureFolderPath, createItem } from './drive-store';
import { addMessage, createFolderRec } from './mail-store';
import type { DriveRec, GroupRec, MailboxRec, SiteRec, TenantState, UserRec } from './model';
import type { SimState } from './state';

export function myHost(tenant: TenantState): string {
  return tenant.sharePointHost.replace(/^([^.]+)\./, '$1-my.');
}

function personalPath(upn: string): string {
  return '/personal/' + upn.toLowerCase().replace(/[@.]/g, '_');
}

export function emitUser(
  state: SimState,
  tenant: TenantState,
  user: UserRec,
  changeType: 'created' | 'updated' | 'deleted',
): void {
  state.emit({ kind: 'user', tenantId: tenant.id, changeType, userId: user.id });
}

export function emitGroup(
  state: SimState,
  tenant: TenantState,
  group: GroupRec,
  changeType: 'created' | 'updated' | 'deleted',
): void {
  state.emit({ kind: 'group', tenantId: tenant.id, changeType, groupId: group.id });
}

export function addSite(
  state: SimState,
  tenant: TenantState,
  site: Omit<SiteRec, 'driveIds'>,
  libraries: { name: string; id?: string; createdDateTime?: string }[],
): SiteRec {
  const rec: SiteRec = { ...site, driveIds: [] };
  tenant.sites[rec.id] = rec;
  for (const library of libraries) {
    const id = library.id ?? driveId(tenant.id, rec.id, library.name);
    const drive = createDrive(state, tenant, {
      id,
      driveType: 'documentLibrary',
      name: library.name,
      owner: { kind: 'site', id: rec.id, displayName: 'System Account' },
      siteId: rec.id,
      webUrl: `https://${rec.host}${rec.urlPath}/${encodeURIComponent(library.name === 'Documents' ? 'Shared Documents' : library.name)}`,
      createdDateTime: library.createdDateTime ?? rec.createdDateTime,
    });
    rec.driveIds.push(drive.id);
  }
  return rec;
}

export function addMailbox(
  state: SimState,
  tenant: TenantState,
  user: UserRec,
  gen?: GenMailbox,
): MailboxRec {
  const mailbox: MailboxRec = {
    userId: user.id,
    enabled: true,
    timeZone: gen?.timeZone ?? 'UTC',
    language: gen?.language ?? { locale: 'en-US', displayName: 'English (United States)' },
    folders: {},
    messages: {},
    restIndex: {},
    foldersEpoch: 0,
  };
  const genFolders = gen?.folders ?? defaultFolders();
  const idOf = (key: string) => mailFolderId(tenant.id, user.id, key);
  for (const f of genFolders) {
    const folder = createFolderRec(
      state,
      idOf(f.key),
      f.parentKey ? idOf(f.parentKey) : null,
      f.displayName,
      f.wellKnownName,
    );
    mailbox.folders[folder.id] = folder;
  }
  // Exchange always has these; add any the generator left out.
  const root = Object.values(mailbox.folders).find((f) => f.wellKnownName === 'msgfolderroot');
  if (root) {
    const present = new Set(Object.values(mailbox.folders).map((f) => f.wellKnownName));
    for (const [name, display] of standardFolders) {
      if (present.has(name)) continue;
      const folder = createFolderRec(state, idOf(`wk:${name}`), root.id, display, name);
      mailbox.folders[folder.id] = folder;
    }
    const hidden = createFolderRec(
      state,
      idOf('hidden:conversationhistory'),
      root.id,
      'Conversation History',
      'conversationhistory',
      true,
    );
    if (!present.has('conversationhistory')) mailbox.folders[hidden.id] = hidden;
  }
  tenant.mailboxes[user.id] = mailbox;
  user.hasMailbox = true;
  for (const f of gen?.folders ?? []) {
    const folder = mailbox.folders[idOf(f.key)]!;
    for (const m of f.messages) {
      addMessage(
        state,
        tenant,
        mailbox,
        folder,
        {
          content: { kind: 'gen', gen: m },
          subject: m.subject,
          from: m.from,
          toRecipients: m.toRecipients,
          ccRecipients: m.ccRecipients,
          sentDateTime: m.sentDateTime,
          receivedDateTime: m.receivedDateTime,
          internetMessageId: m.internetMessageId,
          bodyPreview: m.bodyPreview,
          attachments: m.attachments,
          hasAttachments: m.hasAttachments,
          isRead: m.isRead,
          isDraft: f.wellKnownName === 'drafts',
          flagStatus: m.flagStatus,
          importance: m.importance,
          categories: m.categories,
          idKey: m.key,
        },
        false,
      );
    }
  }
  return mailbox;
}

const standardFolders: [string, string][] = [
  ['inbox', 'Inbox'],
  ['drafts', 'Drafts'],
  ['sentitems', 'Sent Items'],
  ['deleteditems', 'Deleted Items'],
  ['junkemail', 'Junk Email'],
  ['archive', 'Archive'],
  ['outbox', 'Outbox'],
];

function defaultFolders(): GenMailbox['folders'] {
  return [
    {
      key: 'root',
      parentKey: null,
      displayName: 'Top of Information Store',
      wellKnownName: 'msgfolderroot',
      messages: [],
    },
  ];
}

export function addPersonalDrive(
  state: SimState,
  tenant: TenantState,
  user: UserRec,
  createdDateTime: string,
): DriveRec {
  const host = myHost(tenant);
  const path = personalPath(user.userPrincipalName);
  const siteId = `${host},${guid(tenant.id, user.id, 'sc')},${guid(tenant.id, user.id, 'web')}`;
  tenant.sites[siteId] = {
    id: siteId,
    siteCollectionId: guid(tenant.id, user.id, 'sc'),
    webId: guid(tenant.id, user.id, 'web'),
    host,
    urlPath: path,
    name: user.userPrincipalName.toLowerCase().replace(/[@.]/g, '_'),
    displayName: user.displayName,
    description: '',
    createdDateTime,
    lastModifiedDateTime: createdDateTime,
    kind: 'personal',
    driveIds: [],
    ownerUserId: user.id,
  };
  const drive = createDrive(state, tenant, {
    id: driveId(tenant.id, user.id, 'onedrive'),
    driveType: 'business',
    name: 'OneDrive',
    owner: {
      kind: 'user',
      id: user.id,
      displayName: user.displayName,
      email: user.mail ?? user.userPrincipalName,
    },
    siteId,
    webUrl: `https://${host}${path}/Documents`,
    createdDateTime,
  });
  tenant.sites[siteId]!.driveIds.push(drive.id);
  user.driveId = drive.id;
  return drive;
}

export function userFromGen(gen: GenUser, seq: number, createdDateTime: string): UserRec {
  return {
    id: gen.id,
    displayName: gen.displayName,
    givenName: gen.givenName,
    surname: gen.surname,
    userPrincipalName: gen.userPrincipalName,
    mail: gen.mail,
    mailNickname: gen.userPrincipalName.split('@')[0]!,
    jobTitle: gen.jobTitle,
    officeLocation: gen.officeLocation,
    mobilePhone: gen.mobilePhone,
    businessPhones: gen.businessPhones,
    preferredLanguage: gen.preferredLanguage,
    userType: gen.userType,
    accountEnabled: gen.accountEnabled,
    createdDateTime,
    licensed: gen.userType === 'Member',
    hasMailbox: false,
    driveId: null,
    changeSeq: seq,
  };
}

export interface NewUser {
  displayName: string;
  mailNickname: string;
  withMailbox?: boolean;
  withDrive?: boolean;
  userType?: 'Member' | 'Guest';
  jobTitle?: string | null;
}

export function addUser(state: SimState, tenant: TenantState, spec: NewUser): UserRec {
  const upn = `${spec.mailNickname}@${tenant.domain}`.toLowerCase();
  const now = state.nowIso();
  const withMailbox = spec.withMailbox ?? true;
  const [givenName, ...rest] = spec.displayName.split(' ');
  const user: UserRec = {
    id: guid(tenant.id, 'user', upn, state.currentSeq),
    displayName: spec.displayName,
    givenName: givenName ?? null,
    surname: rest.join(' ') || null,
    userPrincipalName: upn,
    mail: withMailbox ? upn : null,
    mailNickname: spec.mailNickname,
    jobTitle: spec.jobTitle ?? null,
    officeLocation: null,
    mobilePhone: null,
    businessPhones: [],
    preferredLanguage: 'en-US',
    userType: spec.userType ?? 'Member',
    accountEnabled: true,
    createdDateTime: now,
    licensed: (spec.userType ?? 'Member') === 'Member',
    hasMailbox: false,
    driveId: null,
    changeSeq: state.nextSeq(),
  };
  tenant.users[user.id] = user;
  if (withMailbox) addMailbox(state, tenant, user);
  if (spec.withDrive ?? withMailbox) addPersonalDrive(state, tenant, user, now);
  emitUser(state, tenant, user, 'created');
  return user;
}

/** Soft delete (`changed`: restorable for 30 days) or permanent delete (`deleted`). */
export function removeUser(state: SimState, tenant: TenantState, user: UserRec, permanent: boolean): void {
  user.removed = { seq: state.nextSeq(), reason: permanent ? 'deleted' : 'changed' };
  user.changeSeq = user.removed.seq;
  const mailbox = tenant.mailboxes[user.id];
  if (mailbox) mailbox.enabled = false;
  user.hasMailbox = false;
  emitUser(state, tenant, user, 'deleted');
}

/** Removes the user's licence: the mailbox becomes unreachable (MailboxNotEnabledForRESTAPI). */
export function unlicenseUser(state: SimState, tenant: TenantState, user: UserRec): void {
  user.licensed = false;
  user.hasMailbox = false;
  const mailbox = tenant.mailboxes[user.id];
  if (mailbox) mailbox.enabled = false;
  user.changeSeq = state.nextSeq();
  emitUser(state, tenant, user, 'updated');
}

export function addGroupFromGen(
  state: SimState,
  tenant: TenantState,
  gen: GenGroup,
  announce: boolean,
): GroupRec {
  const siteCollectionId = guid(tenant.id, gen.id, 'sc');
  const webId = guid(tenant.id, gen.id, 'web');
  const siteId = `${tenant.sharePointHost},${siteCollectionId},${webId}`;
  const site = addSite(
    state,
    tenant,
    {
      id: siteId,
      siteCollectionId,
      webId,
      host: tenant.sharePointHost,
      urlPath: `/sites/${gen.mailNickname}`,
      name: gen.mailNickname,
      displayName: gen.displayName,
      description: gen.description,
      createdDateTime: gen.createdDateTime,
      lastModifiedDateTime: gen.createdDateTime,
      kind: 'group',
      groupId: gen.id,
    },
    [{ name: gen.drive.name || 'Documents' }],
  );
  const drive = tenant.drives[site.driveIds[0]!]!;
  drive.owner = { kind: 'group', id: gen.id, displayName: gen.displayName, email: gen.mail };
  fillDrive(state, drive, gen.drive);
  const group: GroupRec = {
    id: gen.id,
    displayName: gen.displayName,
    mailNickname: gen.mailNickname,
    mail: gen.mail,
    description: gen.description,
    visibility: gen.visibility,
    groupTypes: gen.groupTypes,
    resourceProvisioningOptions: gen.resourceProvisioningOptions,
    createdDateTime: gen.createdDateTime,
    ownerIds: gen.ownerIds,
    memberIds: gen.memberIds,
    driveId: drive.id,
    siteId,
    threads: gen.threads.map((t) => ({
      id: mailFolderId(tenant.id, gen.id, 'thread', t.key),
      topic: t.topic,
      lastDeliveredDateTime: t.posts.reduce(
        (max, p) => (p.receivedDateTime > max ? p.receivedDateTime : max),
        gen.createdDateTime,
      ),
      posts: t.posts.map((p) => ({
        id: mailFolderId(tenant.id, gen.id, 'post', t.key, p.key),
        from: p.from,
        receivedDateTime: p.receivedDateTime,
        createdDateTime: p.receivedDateTime,
        bodyHtml: p.bodyHtml,
      })),
    })),
    changeSeq: state.nextSeq(),
  };
  tenant.groups[group.id] = group;
  if (announce) emitGroup(state, tenant, group, 'created');
  return group;
}

/** Creates the generated folders and files of a drive (ids derived from their paths). */
export function fillDrive(
  state: SimState,
  drive: DriveRec,
  gen: { folders: string[]; files: import('../generator/contract').GenFile[] },
): void {
  for (const folder of gen.folders) ensureFolderPath(state, drive, folder, { idKey: 'gen' });
  for (const file of gen.files) {
    const slash = file.path.lastIndexOf('/');
    const parentPath = slash >= 0 ? file.path.slice(0, slash) : '';
    const name = file.path.slice(slash + 1);
    const parent = ensureFolderPath(state, drive, parentPath, {
      idKey: 'gen',
      createdDateTime: file.createdDateTime,
    });
    createItem(
      state,
      drive,
      parent,
      {
        name,
        content: {
          kind: 'gen',
          contentSeed: file.contentSeed,
          size: file.size,
          ...(file.pieces ? { pieces: file.pieces } : {}),
        },
        mimeType: file.mimeType,
        createdDateTime: file.createdDateTime,
        lastModifiedDateTime: file.lastModifiedDateTime,
        idKey: `gen:${file.key}`,
      },
      false,
    );
  }
}
