import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import {
  buildMime,
  createFile,
  createMessage,
  parseMimeMetadata,
  defaultShape,
  fileBytes,
  generateTenant,
  type GenMailFolder,
  type GenerateOptions,
} from '../../../dev/simulator/generator/index';

const NOW = new Date('2026-11-01T12:00:00Z');
const options = (over: Partial<GenerateOptions> = {}): GenerateOptions => ({
  seed: 42,
  tenantIndex: 0,
  shape: defaultShape(),
  now: NOW,
  ...over,
});
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('determinism', () => {
  const a = generateTenant(options());

  it('gives the identical tenant for the same seed, and identical bytes', () => {
    const b = generateTenant(options());
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const message = a.users[0]?.mailbox?.folders.find((f) => f.messages.length > 0)?.messages[0];
    expect(message).toBeDefined();
    if (message) expect(buildMime(message).equals(buildMime(structuredClone(message)))).toBe(true);
    const file = a.users[0]?.drive?.files[0];
    if (file) expect(fileBytes(file).equals(fileBytes({ ...file }))).toBe(true);
  });

  it('gives different tenants for different tenant indexes and seeds', () => {
    const other = generateTenant(options({ tenantIndex: 1 }));
    expect(other.tenantId).not.toBe(a.tenantId);
    expect(other.domain).not.toBe(a.domain);
    expect(other.users.map((u) => u.id)).not.toEqual(a.users.map((u) => u.id));
    const otherSeed = generateTenant(options({ seed: 43 }));
    expect(otherSeed.tenantId).not.toBe(a.tenantId);
  });

  it('keeps message N the same when the mailbox holds more messages', () => {
    const small = generateTenant(options({ shape: { ...defaultShape(), messagesPerMailbox: 30 } }));
    const large = generateTenant(options({ shape: { ...defaultShape(), messagesPerMailbox: 60 } }));
    const byKey = new Map(
      large.users.flatMap(
        (u) => u.mailbox?.folders.flatMap((f) => f.messages.map((m) => [m.key, m] as const)) ?? [],
      ),
    );
    const messages = small.users.flatMap((u) => u.mailbox?.folders.flatMap((f) => f.messages) ?? []);
    expect(messages.length).toBe(30 * 10);
    for (const m of messages) expect(byKey.get(m.key)).toEqual(m);
  });
});

describe('generated tenant', () => {
  const shape = defaultShape();
  const tenant = generateTenant(options());
  const members = tenant.users.filter((u) => u.userType === 'Member');
  const withMailbox = tenant.users.filter((u) => u.mailbox);

  it('has the users the shape asks for, with realistic directory data', () => {
    expect(tenant.users.length).toBe(shape.users + shape.usersWithoutMailbox + shape.guests);
    expect(withMailbox.length).toBe(shape.users);
    expect(tenant.users.filter((u) => u.userType === 'Guest').length).toBe(shape.guests);
    expect(tenant.users.filter((u) => u.userType === 'Member' && !u.mail).length).toBe(
      shape.usersWithoutMailbox,
    );
    expect(tenant.tenantId).toMatch(GUID);
    expect(tenant.domain).toMatch(/^[a-z0-9]+\.onmicrosoft\.com$/);
    expect(tenant.sharePointHost).toBe(tenant.domain.replace('.onmicrosoft.com', '.sharepoint.com'));
    const upns = new Set<string>();
    for (const u of tenant.users) {
      expect(u.id).toMatch(GUID);
      expect(u.userPrincipalName).toMatch(/^[\x21-\x7e]+$/);
      upns.add(u.userPrincipalName.toLowerCase());
      if (u.userType === 'Member') {
        expect(u.userPrincipalName.endsWith(`@${tenant.domain}`)).toBe(true);
        expect(u.drive?.driveType).toBe('business');
      } else {
        expect(u.userPrincipalName).toContain('#EXT#@');
        expect(u.mailbox).toBeNull();
        expect(u.drive).toBeNull();
      }
      if (u.mail && u.userType === 'Member') expect(u.mail).toBe(u.userPrincipalName);
    }
    expect(upns.size).toBe(tenant.users.length);
    // Names from many places; some with letters outside ASCII, folded in the UPN.
    expect(tenant.users.some((u) => /[^\x20-\x7e]/.test(u.displayName))).toBe(true);
    expect(members.some((u) => u.jobTitle && u.officeLocation)).toBe(true);
  });

  it('builds each mailbox as a folder tree with the well-known folders and nested custom folders', () => {
    for (const u of withMailbox) {
      const folders = u.mailbox?.folders ?? [];
      const byKey = new Map(folders.map((f) => [f.key, f]));
      const wellKnown = folders.filter((f) => f.wellKnownName).map((f) => f.wellKnownName);
      expect(wellKnown.sort()).toEqual([
        'archive',
        'deleteditems',
        'drafts',
        'inbox',
        'junkemail',
        'msgfolderroot',
        'outbox',
        'sentitems',
      ]);
      expect(folders.filter((f) => !f.wellKnownName).length).toBe(shape.customFoldersPerMailbox);
      const depth = (f: GenMailFolder): number =>
        f.parentKey ? 1 + depth(byKey.get(f.parentKey) as GenMailFolder) : 0;
      for (const f of folders) {
        if (f.parentKey) expect(byKey.has(f.parentKey)).toBe(true);
        else expect(f.wellKnownName).toBe('msgfolderroot');
      }
      expect(Math.max(...folders.map(depth))).toBeGreaterThanOrEqual(2);
      expect(folders.reduce((n, f) => n + f.messages.length, 0)).toBe(shape.messagesPerMailbox);
      expect(u.mailbox?.language.locale).toBe(u.preferredLanguage);
    }
    const allFolders = withMailbox.flatMap((u) => u.mailbox?.folders ?? []);
    expect(allFolders.some((f) => /[^\x20-\x7e]/.test(f.displayName) && !f.wellKnownName)).toBe(true);
  });

  it('gives messages consistent, realistic metadata', () => {
    const messages = withMailbox.flatMap((u) => u.mailbox?.folders.flatMap((f) => f.messages) ?? []);
    const yearAgo = NOW.getTime() - 366 * 86_400_000;
    for (const m of messages) {
      expect(Date.parse(m.sentDateTime)).toBeLessThanOrEqual(Date.parse(m.receivedDateTime));
      expect(Date.parse(m.receivedDateTime)).toBeGreaterThan(yearAgo);
      expect(Date.parse(m.receivedDateTime)).toBeLessThanOrEqual(NOW.getTime());
      expect(m.sentDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(m.internetMessageId).toMatch(/^<[^<>\s]+@[^<>\s]+>$/);
      expect(m.bodyPreview.length).toBeGreaterThan(0);
      expect([...m.bodyPreview].length).toBeLessThanOrEqual(255);
      expect(m.hasAttachments).toBe(m.attachments.some((a) => !a.isInline));
    }
    const share = (p: (m: (typeof messages)[number]) => boolean): number =>
      messages.filter(p).length / messages.length;
    expect(share((m) => m.isRead)).toBeGreaterThan(0.6);
    expect(share((m) => m.isRead)).toBeLessThan(1);
    expect(share((m) => m.flagStatus !== 'notFlagged')).toBeGreaterThan(0);
    expect(share((m) => m.importance === 'high')).toBeGreaterThan(0);
    expect(share((m) => m.categories.length > 0)).toBeGreaterThan(0);
    expect(share((m) => m.hasAttachments)).toBeGreaterThan(0.05);
    expect(share((m) => m.attachments.some((a) => a.isInline))).toBeGreaterThan(0.02);
    expect(share((m) => /[^\x20-\x7e]/.test(m.subject))).toBeGreaterThan(0.05);
    expect(share((m) => !m.from.address.endsWith(tenant.domain))).toBeGreaterThan(0.1);
    expect(messages.some((m) => m.attachments.some((a) => a.size > 4 * 1024 * 1024))).toBe(true);
    // Sent items are from the mailbox owner.
    for (const u of withMailbox) {
      const sent = u.mailbox?.folders.find((f) => f.wellKnownName === 'sentitems');
      for (const m of sent?.messages ?? []) expect(m.from.address).toBe(u.mail);
    }
  });

  it('fills drives, sites and libraries with nested folders and realistic files', () => {
    const drives = [
      ...members.map((u) => u.drive),
      ...tenant.sites.flatMap((s) => s.libraries),
      ...tenant.groups.map((g) => g.drive),
    ];
    const sizes: number[] = [];
    for (const d of drives) {
      if (!d) throw new Error('member without a drive');
      const folders = new Set(d.folders);
      d.folders.forEach((f, i) => {
        const parent = f.split('/').slice(0, -1).join('/');
        if (parent) expect(d.folders.indexOf(parent)).toBeLessThan(i);
      });
      const paths = new Set<string>();
      for (const f of d.files) {
        const dir = f.path.split('/').slice(0, -1).join('/');
        if (dir) expect(folders.has(dir)).toBe(true);
        expect(paths.has(f.path.toLowerCase())).toBe(false);
        paths.add(f.path.toLowerCase());
        expect(f.size).toBeGreaterThan(0);
        expect(f.size).toBeLessThanOrEqual(shape.maxFileBytes);
        expect(Date.parse(f.createdDateTime)).toBeLessThanOrEqual(Date.parse(f.lastModifiedDateTime));
        expect(f.mimeType).toMatch(/^[a-z]+\/[\w.+-]+$/);
        sizes.push(f.size);
      }
    }
    sizes.sort((x, y) => x - y);
    const median = sizes[Math.floor(sizes.length / 2)] ?? 0;
    expect(median).toBeLessThan(1024 * 1024);
    expect(sizes[sizes.length - 1]).toBeGreaterThan(shape.maxFileBytes * 0.5);
    expect(members[0]?.drive?.files.length).toBe(shape.filesPerDrive);
    expect(drives.flatMap((d) => d?.files ?? []).some((f) => /[^\x20-\x7e]/.test(f.path))).toBe(true);

    expect(tenant.sites.length).toBe(shape.sites + 1);
    expect(tenant.sites[0]?.urlPath).toBe('');
    for (const site of tenant.sites.slice(1)) {
      expect(site.urlPath).toMatch(/^\/sites\/[A-Za-z0-9-]+$/);
      expect(site.libraries.length).toBe(shape.librariesPerSite);
      expect(
        site.libraries.every(
          (l) => l.driveType === 'documentLibrary' && l.files.length === shape.filesPerLibrary,
        ),
      ).toBe(true);
      expect(site.siteCollectionId).toMatch(GUID);
      expect(site.webId).toMatch(GUID);
    }
  });

  it('creates Unified groups, some of them Teams, with members, a library and conversations', () => {
    expect(tenant.groups.length).toBe(shape.groups);
    const ids = new Set(tenant.users.map((u) => u.id));
    for (const g of tenant.groups) {
      expect(g.groupTypes).toContain('Unified');
      expect(g.mail.endsWith(`@${tenant.domain}`)).toBe(true);
      expect(g.mailNickname).toMatch(/^[A-Za-z0-9]+$/);
      expect(g.ownerIds.length).toBeGreaterThan(0);
      for (const id of [...g.ownerIds, ...g.memberIds]) expect(ids.has(id)).toBe(true);
      for (const id of g.ownerIds) expect(g.memberIds).toContain(id);
      expect(g.drive.files.length).toBe(shape.filesPerGroupLibrary);
      expect(g.threads.length).toBe(shape.threadsPerGroup);
      for (const t of g.threads) {
        expect(t.posts.length).toBeGreaterThan(0);
        for (const p of t.posts) expect(p.bodyHtml).toMatch(/^<html>.*<\/html>$/s);
      }
    }
    const many = generateTenant(options({ shape: { ...defaultShape(), groups: 8 } }));
    expect(many.groups.some((g) => g.resourceProvisioningOptions.includes('Team'))).toBe(true);
    expect(many.groups.some((g) => !g.resourceProvisioningOptions.includes('Team'))).toBe(true);
  });
});

describe('internal mail, as Exchange stores it', () => {
  const tenant = generateTenant(options());
  const mailboxes = tenant.users.filter((u) => u.mailbox);
  const mailOf = (u: (typeof mailboxes)[number]) =>
    (u.mailbox?.folders ?? []).flatMap((f) => f.messages.map((m) => ({ folder: f, message: m })));
  const byUser = new Map(mailboxes.map((u) => [u.mail!, mailOf(u)]));

  it("puts a copy of each message sent to colleagues in every colleague's mailbox, and the sender's Sent Items", () => {
    let sentInternally = 0;
    for (const sender of mailboxes) {
      const sent = sender.mailbox!.folders.find((f) => f.wellKnownName === 'sentitems')!.messages;
      for (const m of sent) {
        const colleagues = [...m.toRecipients, ...m.ccRecipients].filter((a) => byUser.has(a.address));
        if (colleagues.length > 0) sentInternally += 1;
        for (const colleague of colleagues) {
          const copies = byUser
            .get(colleague.address)!
            .filter((c) => c.message.internetMessageId === m.internetMessageId);
          expect(copies.length, `${m.subject} in ${colleague.address}`).toBe(1);
          const { folder, message: copy } = copies[0]!;
          expect(['sentitems', 'drafts', 'outbox', 'junkemail']).not.toContain(folder.wellKnownName);
          expect(copy.from).toEqual(sender.mailbox && { name: sender.displayName, address: sender.mail });
          expect(copy.subject).toBe(m.subject);
          expect(copy.attachments).toEqual(m.attachments);
          expect(copy.sentDateTime).toBe(m.sentDateTime);
          expect(Date.parse(copy.receivedDateTime)).toBeGreaterThanOrEqual(Date.parse(m.sentDateTime));
        }
      }
    }
    expect(sentInternally).toBeGreaterThan(50);
    // Every message received from a colleague is a copy of one in that colleague's Sent Items.
    for (const [address, mail] of byUser)
      for (const { message } of mail) {
        // The owner's own mail (sent, drafts, outbox) and mail from outside are not copies.
        if (message.from.address === address || !byUser.has(message.from.address)) continue;
        const original = byUser
          .get(message.from.address)!
          .find(
            (c) =>
              c.folder.wellKnownName === 'sentitems' &&
              c.message.internetMessageId === message.internetMessageId,
          );
        expect(original, `${message.subject} received by ${address}`).toBeDefined();
      }
  });

  it('gives the copies the same body and attachment bytes, and their own transport headers', () => {
    const sent = mailboxes.flatMap((u) =>
      u
        .mailbox!.folders.find((f) => f.wellKnownName === 'sentitems')!
        .messages.filter((m) => m.hasAttachments),
    );
    let compared = 0;
    for (const m of sent) {
      const copy = [...byUser.values()]
        .flat()
        .find((c) => c.message.internetMessageId === m.internetMessageId && c.message.key !== m.key)?.message;
      if (!copy) continue;
      const a = buildMime(m).toString('latin1');
      const b = buildMime(copy).toString('latin1');
      expect(a).not.toBe(b);
      const headers = (mime: string) => mime.slice(0, mime.indexOf('\r\n\r\n'));
      const received = (mime: string) => /^Received: [\s\S]*?(?=\r\n\S)/.exec(mime)?.[0];
      expect(received(a)).not.toBe(received(b));
      expect(headers(a).match(/^Thread-Index: .*$/m)?.[0]).toBe(headers(b).match(/^Thread-Index: .*$/m)?.[0]);
      // Everything after the top-level headers (bodies, attachments, boundaries) is the same.
      expect(a.slice(a.indexOf('\r\n\r\n'))).toBe(b.slice(b.indexOf('\r\n\r\n')));
      compared += 1;
      if (compared >= 10) break;
    }
    expect(compared).toBeGreaterThan(3);
  });

  it("attaches the company's common documents byte-identical to the copies in drives", async () => {
    const withDocuments = [...byUser.values()]
      .flat()
      .map((c) => c.message)
      .filter((m) => m.attachmentSeeds?.some((seed) => seed !== null));
    expect(withDocuments.length).toBeGreaterThan(0);
    const driveFiles = tenant.users.flatMap((u) => u.drive?.files ?? []);
    let compared = 0;
    for (const m of withDocuments.slice(0, 5)) {
      const parsed = await simpleParser(buildMime(m));
      m.attachmentSeeds!.forEach((seed, i) => {
        if (seed === null) return;
        const attachment = m.attachments[i]!;
        const content = parsed.attachments.find((a) => a.filename === attachment.name)!.content;
        expect(content.equals(fileBytes({ contentSeed: seed, size: attachment.size }))).toBe(true);
        const inDrive = driveFiles.find((f) => f.contentSeed === seed);
        if (inDrive) {
          expect(content.equals(fileBytes(inDrive))).toBe(true);
          compared += 1;
        }
      });
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('keeps the mix of mail comparable: sent items from the owner, mail from outside and from colleagues', () => {
    const all = [...byUser.values()].flat();
    const received = all.filter(
      (c) => !['sentitems', 'drafts', 'outbox'].includes(c.folder.wellKnownName ?? ''),
    );
    const fromColleagues =
      received.filter((c) => byUser.has(c.message.from.address)).length / received.length;
    expect(fromColleagues).toBeGreaterThan(0.3);
    expect(fromColleagues).toBeLessThan(0.8);
  });
});

describe('single new items for the control API', () => {
  it('creates a message that builds and parses back, deterministically', async () => {
    const owner = { name: 'Zoë Müller', address: 'zoe.muller@contoso1.onmicrosoft.com' };
    const colleagues = [owner, { name: 'Kenji Tanaka', address: 'kenji.tanaka@contoso1.onmicrosoft.com' }];
    const receivedAt = new Date('2026-11-02T08:30:00Z');
    for (let seed = 1; seed <= 30; seed++) {
      const m = createMessage({ seed, key: `new-${seed}`, owner, colleagues, receivedAt });
      expect(createMessage({ seed, key: `new-${seed}`, owner, colleagues, receivedAt })).toEqual(m);
      expect(m.receivedDateTime).toBe('2026-11-02T08:30:00Z');
      expect(m.toRecipients.map((a) => a.address)).toContain(owner.address);
      const parsed = await parseMimeMetadata(buildMime(m));
      expect(parsed.subject).toBe(m.subject);
      expect(parsed.bodyPreview).toBe(m.bodyPreview);
      expect(parsed.attachments).toEqual(m.attachments);
    }
    const sent = createMessage({ seed: 5, key: 's', owner, colleagues, receivedAt, folder: 'sentitems' });
    expect(sent.from).toEqual(owner);
  });

  it('creates a file in a folder', async () => {
    const f = createFile({
      seed: 9,
      key: 'nf',
      folder: 'Documents/Reports',
      createdAt: NOW,
      maxFileBytes: 1 << 20,
    });
    expect(f.path.startsWith('Documents/Reports/')).toBe(true);
    expect(f.size).toBeLessThanOrEqual(1 << 20);
    expect(fileBytes(f).length).toBe(f.size);
    expect(
      createFile({ seed: 9, key: 'nf', folder: 'Documents/Reports', createdAt: NOW, maxFileBytes: 1 << 20 }),
    ).toEqual(f);
  });
});

describe('unusual shapes', () => {
  it('handles empty, tiny and oversized shapes', () => {
    const empty = generateTenant(
      options({
        shape: { ...defaultShape(), users: 0, usersWithoutMailbox: 0, guests: 0, sites: 0, groups: 0 },
      }),
    );
    expect(empty.users).toEqual([]);
    expect(empty.sites.length).toBe(1);

    const tiny = generateTenant(
      options({
        shape: {
          ...defaultShape(),
          users: 1,
          customFoldersPerMailbox: 0,
          maxFileBytes: 500,
          messagesPerMailbox: 20,
        },
      }),
    );
    const lonely = tiny.users[0]?.mailbox?.folders.flatMap((f) => f.messages) ?? [];
    expect(lonely.length).toBe(20);
    const allFiles = [
      ...tiny.users.flatMap((u) => u.drive?.files ?? []),
      ...tiny.sites.flatMap((s) => s.libraries.flatMap((l) => l.files)),
    ];
    expect(allFiles.every((f) => f.size <= 500)).toBe(true);

    const wide = generateTenant(
      options({
        shape: {
          ...defaultShape(),
          users: 70,
          messagesPerMailbox: 2,
          customFoldersPerMailbox: 30,
          sites: 14,
          librariesPerSite: 10,
          groups: 14,
          filesPerLibrary: 2,
        },
      }),
    );
    expect(new Set(wide.users.map((u) => u.userPrincipalName)).size).toBe(wide.users.length);
    expect(new Set(wide.sites.map((s) => s.urlPath.toLowerCase())).size).toBe(wide.sites.length);
    expect(new Set(wide.groups.map((g) => g.mailNickname.toLowerCase())).size).toBe(wide.groups.length);
    for (const s of wide.sites.slice(1)) expect(new Set(s.libraries.map((l) => l.name)).size).toBe(10);
    expect(wide.users[0]?.mailbox?.folders.filter((f) => !f.wellKnownName).length).toBe(30);
  });
});
