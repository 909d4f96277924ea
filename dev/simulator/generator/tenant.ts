/**
 * The tenant as metadata: users, mailboxes (folders and message metadata), drives, sites and
 * groups. Every item draws from its own seeded stream (tenant, kind, owner, index), so item N
 * never depends on items before it and a shape change elsewhere leaves it as it was.
 */
import type {
  CreateFileOptions,
  CreateMessageOptions,
  GenAddress,
  GenAttachmentInfo,
  GenDrive,
  GenFile,
  GenGroup,
  GenMailFolder,
  GenMailbox,
  GenMessage,
  GenPost,
  GenSite,
  GenTenant,
  GenThread,
  GenUser,
  GenerateOptions,
  TenantShape,
  WellKnownFolder,
} from './contract.js';
import { contentSeedFor } from './content.js';
import { bodyPreviewFor, messagePlan, type Language } from './message-content.js';
import { Rng, deriveSeed } from './prng.js';
import {
  CATEGORIES,
  COMPANIES,
  CUSTOM_FOLDER_PATHS,
  DEPARTMENTS,
  DRIVE_FOLDERS,
  EXTERNAL_DOMAINS,
  EXTERNAL_SENDERS,
  FILE_STEMS,
  GROUP_NAMES,
  JOB_TITLES,
  LIBRARY_NAMES,
  LOCALE_NAMES,
  OFFICES,
  PEOPLE,
  SENTENCES,
  SITE_NAMES,
  SUBJECTS,
  THREAD_TOPICS,
} from './vocabulary.js';

const DAY = 86_400_000;

export function defaultShape(): TenantShape {
  return {
    users: 10,
    usersWithoutMailbox: 2,
    guests: 1,
    messagesPerMailbox: 200,
    customFoldersPerMailbox: 6,
    filesPerDrive: 40,
    sites: 3,
    librariesPerSite: 2,
    filesPerLibrary: 30,
    groups: 3,
    filesPerGroupLibrary: 20,
    threadsPerGroup: 5,
    maxFileBytes: 20 * 1024 * 1024,
    duplicateFileShare: 0.1,
  };
}

/** "Zoë Müller" -> "zoe.muller": what Entra does to names when it proposes a UPN. */
export function asciiFold(s: string): string {
  return s
    .replace(/ß/g, 'ss')
    .replace(/[łŁ]/g, (c) => (c === 'ł' ? 'l' : 'L'))
    .replace(/[øØ]/g, (c) => (c === 'ø' ? 'o' : 'O'))
    .replace(/[æÆ]/g, (c) => (c === 'æ' ? 'ae' : 'AE'))
    .replace(/[đĐ]/g, (c) => (c === 'đ' ? 'd' : 'D'))
    .replace(/ı/g, 'i')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '');
}

function mailLocal(s: string): string {
  return asciiFold(s)
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '');
}

/** RFC 3339 UTC, whole seconds, as Graph writes it. */
function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const FOLDER_NAMES: Readonly<Record<string, Record<Exclude<WellKnownFolder, 'msgfolderroot'>, string>>> = {
  en: {
    inbox: 'Inbox',
    drafts: 'Drafts',
    sentitems: 'Sent Items',
    deleteditems: 'Deleted Items',
    junkemail: 'Junk Email',
    archive: 'Archive',
    outbox: 'Outbox',
  },
  de: {
    inbox: 'Posteingang',
    drafts: 'Entwürfe',
    sentitems: 'Gesendete Elemente',
    deleteditems: 'Gelöschte Elemente',
    junkemail: 'Junk-E-Mail',
    archive: 'Archiv',
    outbox: 'Postausgang',
  },
  fr: {
    inbox: 'Boîte de réception',
    drafts: 'Brouillons',
    sentitems: 'Éléments envoyés',
    deleteditems: 'Éléments supprimés',
    junkemail: 'Courrier indésirable',
    archive: 'Archive',
    outbox: "Boîte d'envoi",
  },
  es: {
    inbox: 'Bandeja de entrada',
    drafts: 'Borradores',
    sentitems: 'Elementos enviados',
    deleteditems: 'Elementos eliminados',
    junkemail: 'Correo no deseado',
    archive: 'Archivo',
    outbox: 'Bandeja de salida',
  },
  pl: {
    inbox: 'Skrzynka odbiorcza',
    drafts: 'Wersje robocze',
    sentitems: 'Elementy wysłane',
    deleteditems: 'Elementy usunięte',
    junkemail: 'Wiadomości-śmieci',
    archive: 'Archiwum',
    outbox: 'Skrzynka nadawcza',
  },
  ja: {
    inbox: '受信トレイ',
    drafts: '下書き',
    sentitems: '送信済みアイテム',
    deleteditems: '削除済みアイテム',
    junkemail: '迷惑メール',
    archive: 'アーカイブ',
    outbox: '送信トレイ',
  },
};

const REPLY_PREFIX: Readonly<Record<Language, readonly string[]>> = {
  en: ['RE: ', 'FW: '],
  de: ['AW: ', 'WG: '],
  fr: ['RE: ', 'TR: '],
  es: ['RE: ', 'RV: '],
  pl: ['Odp: ', 'PD: '],
  ja: ['RE: ', 'FW: '],
};

const MIME_TYPES: Readonly<Record<string, string>> = {
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  zip: 'application/x-zip-compressed',
  csv: 'text/csv',
  txt: 'text/plain',
  mp4: 'video/mp4',
  eml: 'message/rfc822',
  json: 'application/json',
  html: 'text/html',
};

/** Median size in bytes and log-normal sigma per extension: most files small, a long tail. */
const SIZE_MODEL: Readonly<Record<string, readonly [number, number]>> = {
  docx: [38_000, 1.0],
  xlsx: [26_000, 1.1],
  pptx: [900_000, 1.0],
  pdf: [170_000, 1.2],
  png: [140_000, 1.0],
  jpg: [1_200_000, 0.7],
  zip: [1_500_000, 1.3],
  csv: [30_000, 1.4],
  txt: [2_500, 1.2],
  mp4: [14_000_000, 0.8],
  eml: [28_000, 0.9],
  json: [4_000, 1.0],
  html: [16_000, 0.9],
};

const DRIVE_FILE_TYPES: readonly (readonly [string, number])[] = [
  ['docx', 24],
  ['xlsx', 18],
  ['pdf', 18],
  ['pptx', 7],
  ['png', 8],
  ['jpg', 8],
  ['txt', 5],
  ['csv', 5],
  ['zip', 3],
  ['json', 1],
  ['html', 1],
  ['mp4', 2],
];

const ATTACHMENT_TYPES: readonly (readonly [string, number])[] = [
  ['pdf', 30],
  ['docx', 20],
  ['xlsx', 16],
  ['png', 8],
  ['jpg', 4],
  ['csv', 8],
  ['pptx', 3],
  ['zip', 3],
  ['txt', 4],
  ['eml', 4],
];

/** {n} a number, {q} a quarter, {v} a version, {w} a week, {y} a year. */
function fillPlaceholders(rng: Rng, s: string): string {
  if (!s.includes('{')) return s;
  return s
    .replace('{n}', () => String(rng.int(100, 99999)))
    .replace('{q}', () => String(rng.int(1, 4)))
    .replace('{v}', () => `${rng.int(1, 4)}.${rng.int(0, 9)}`)
    .replace('{w}', () => String(rng.int(1, 52)))
    .replace('{y}', () => String(rng.int(2024, 2026)));
}

function fileName(rng: Rng, ext: string, language?: Language): string {
  const stems = FILE_STEMS[ext] ?? ['file'];
  let stem = rng.pick(stems);
  if (language === 'ja' && (ext === 'pdf' || ext === 'xlsx' || ext === 'docx'))
    stem = rng.pick(['請求書_{n}', '見積書', '議事録_{n}', '資料']);
  return `${fillPlaceholders(rng, stem)}.${ext}`;
}

/** Attachments run smaller than files in drives (mail size limits, people zip and link instead). */
const ATTACHMENT_SIZE_MODEL: Readonly<Record<string, readonly [number, number]>> = {
  pdf: [90_000, 1.0],
  docx: [35_000, 1.0],
  xlsx: [25_000, 1.1],
  png: [70_000, 1.0],
  jpg: [250_000, 0.7],
  csv: [25_000, 1.2],
  pptx: [500_000, 0.9],
  zip: [300_000, 1.0],
  txt: [3_000, 1.0],
  eml: [25_000, 0.9],
};

function sizeFor(rng: Rng, ext: string, max: number, model = SIZE_MODEL): number {
  const [median, sigma] = model[ext] ?? [50_000, 1];
  return Math.max(Math.min(1024, max), Math.min(max, Math.round(rng.logNormal(median, sigma))));
}

interface Person {
  user: GenUser;
  address: GenAddress;
  locale: string;
}

interface Context {
  options: GenerateOptions;
  shape: TenantShape;
  /** Root seed of this tenant. */
  seed: number;
  now: number;
  domain: string;
  company: string;
  people: Person[];
  mailboxPeople: Person[];
  externals: GenAddress[];
  /** Addresses of the mailbox users (filled once the users exist). */
  colleagues: GenAddress[];
  /** Files that several drives hold byte-identical copies of. */
  sharedFiles: { name: string; contentSeed: number; size: number; mimeType: string }[];
}

export function generateTenant(options: GenerateOptions): GenTenant {
  const shape = options.shape;
  const seed = deriveSeed(options.seed, 'tenant', options.tenantIndex);
  const rng = Rng.derive(seed, 'tenant');
  const companyEntry = COMPANIES[(options.tenantIndex + (options.seed >>> 0)) % COMPANIES.length] ?? [
    'Contoso',
    'contoso',
  ];
  const [companyName, stem] = companyEntry;
  const domainStem = `${stem}${options.tenantIndex + 1}`;
  const domain = `${domainStem}.onmicrosoft.com`;
  const ctx: Context = {
    options,
    shape,
    seed,
    now: options.now.getTime(),
    domain,
    company: companyName,
    people: [],
    mailboxPeople: [],
    externals: [],
    colleagues: [],
    sharedFiles: [],
  };

  // External correspondents: a fixed set per tenant, so the same people write again.
  const extRng = Rng.derive(seed, 'externals');
  for (let i = 0; i < 24; i++) {
    const p = extRng.pick(PEOPLE);
    const d = extRng.pick(EXTERNAL_DOMAINS);
    ctx.externals.push({
      name: `${p.given} ${p.surname}`,
      address: `${mailLocal(p.given)}.${mailLocal(p.surname)}@${d}`,
    });
  }
  for (const [name, address] of EXTERNAL_SENDERS) ctx.externals.push({ name, address });

  const sharedRng = Rng.derive(seed, 'shared-files');
  const sharedNames = [
    'Employee Handbook 2026.pdf',
    'Brand guidelines.pptx',
    'Company logo.png',
    'Expense policy.docx',
    'Holiday calendar 2026.xlsx',
    'Org chart.pdf',
    'Onboarding checklist.docx',
    'Price list 2026.xlsx',
  ];
  for (const name of sharedNames) {
    const ext = name.split('.').pop() ?? 'bin';
    ctx.sharedFiles.push({
      name,
      contentSeed: contentSeedFor(sharedRng.u32(), name),
      size: sizeFor(sharedRng, ext, shape.maxFileBytes),
      mimeType: MIME_TYPES[ext] ?? 'application/octet-stream',
    });
  }

  const users = generateUsers(ctx);
  ctx.colleagues = ctx.mailboxPeople.map((p) => p.address);
  const tenant: GenTenant = {
    tenantId: rng.guid(),
    displayName: companyName,
    domain,
    sharePointHost: `${domainStem}.sharepoint.com`,
    users,
    groups: [],
    sites: [],
  };
  // Mailboxes and drives after all users exist: mail goes between them.
  const mailboxes: MailboxPlan[] = [];
  ctx.people.forEach((person, i) => {
    if (ctx.mailboxPeople.includes(person)) {
      const plan = generateMailbox(ctx, person, i);
      person.user.mailbox = plan.mailbox;
      mailboxes.push(plan);
    }
    if (person.user.userType === 'Member')
      person.user.drive = generateDrive(
        ctx,
        `user-${i}`,
        'business',
        'OneDrive',
        shape.filesPerDrive,
        person.locale,
      );
  });
  generateMail(ctx, mailboxes);
  tenant.sites = generateSites(ctx);
  tenant.groups = generateGroups(ctx);
  return tenant;
}

function generateUsers(ctx: Context): GenUser[] {
  const { shape } = ctx;
  const total = shape.users + shape.usersWithoutMailbox + shape.guests;
  const order = Rng.derive(ctx.seed, 'people').sample(PEOPLE, PEOPLE.length);
  const taken = new Set<string>();
  const users: GenUser[] = [];
  for (let i = 0; i < total; i++) {
    const rng = Rng.derive(ctx.seed, 'user', i);
    const base = order[i % order.length] as (typeof PEOPLE)[number];
    // Past the list, mix given names and surnames of different people.
    const other = order[(i * 7 + Math.floor(i / order.length)) % order.length] as (typeof PEOPLE)[number];
    const given = base.given;
    const surname = i < order.length ? base.surname : other.surname;
    const kind: 'mailbox' | 'nomailbox' | 'guest' =
      i < shape.users ? 'mailbox' : i < shape.users + shape.usersWithoutMailbox ? 'nomailbox' : 'guest';
    let local = `${mailLocal(given)}.${mailLocal(surname)}`;
    for (let n = 2; taken.has(local); n++) local = `${mailLocal(given)}.${mailLocal(surname)}${n}`;
    taken.add(local);
    const office = rng.pick(OFFICES);
    const id = rng.guid();
    const displayName = `${given} ${surname}`;
    let user: GenUser;
    if (kind === 'guest') {
      const extDomain = rng.pick(EXTERNAL_DOMAINS);
      const mail = `${local}@${extDomain}`;
      user = {
        id,
        displayName,
        givenName: given,
        surname,
        userPrincipalName: `${mail.replace('@', '_')}#EXT#@${ctx.domain}`,
        mail,
        jobTitle: null,
        officeLocation: null,
        mobilePhone: null,
        businessPhones: [],
        preferredLanguage: null,
        userType: 'Guest',
        accountEnabled: true,
        mailbox: null,
        drive: null,
      };
    } else {
      user = {
        id,
        displayName,
        givenName: given,
        surname,
        userPrincipalName: `${local}@${ctx.domain}`,
        mail: kind === 'mailbox' ? `${local}@${ctx.domain}` : null,
        jobTitle: rng.chance(0.9) ? rng.pick(JOB_TITLES) : null,
        officeLocation: rng.chance(0.85) ? `${office.office} – ${rng.pick(DEPARTMENTS)}` : null,
        mobilePhone: rng.chance(0.6)
          ? `+${rng.int(1, 49)} ${rng.int(150, 179)} ${rng.int(1000000, 9999999)}`
          : null,
        businessPhones: rng.chance(0.8)
          ? [`${office.phonePrefix}${rng.int(1000, 9999)} ${rng.int(100, 999)}`]
          : [],
        preferredLanguage: base.locale,
        userType: 'Member',
        accountEnabled: true,
        mailbox: null,
        drive: null,
      };
    }
    const person: Person = {
      user,
      address: { name: displayName, address: user.mail ?? user.userPrincipalName },
      locale: base.locale,
    };
    ctx.people.push(person);
    if (kind === 'mailbox') ctx.mailboxPeople.push(person);
    users.push(user);
  }
  return users;
}

function languageOfLocale(locale: string): Language {
  const l = locale.slice(0, 2);
  return (['en', 'de', 'fr', 'es', 'pl', 'ja'] as const).find((x) => x === l) ?? 'en';
}

/** A mailbox's folders, and where its messages land (filled by `generateMail`). */
interface MailboxPlan {
  person: Person;
  userIndex: number;
  mailbox: GenMailbox;
  folderWeights: [GenMailFolder, number][];
}

function generateMailbox(ctx: Context, person: Person, userIndex: number): MailboxPlan {
  const rng = Rng.derive(ctx.seed, 'mailbox', userIndex);
  const lang = languageOfLocale(person.locale);
  const names = FOLDER_NAMES[lang] ?? FOLDER_NAMES.en;
  const office = OFFICES.find((o) => person.user.officeLocation?.startsWith(o.office)) ?? OFFICES[3];
  const prefix = `u${userIndex}`;
  const root: GenMailFolder = {
    key: `${prefix}/root`,
    parentKey: null,
    displayName: 'Top of Information Store',
    wellKnownName: 'msgfolderroot',
    messages: [],
  };
  const folders: GenMailFolder[] = [root];
  const wellKnown = new Map<WellKnownFolder, GenMailFolder>([['msgfolderroot', root]]);
  for (const wk of [
    'inbox',
    'drafts',
    'sentitems',
    'deleteditems',
    'junkemail',
    'archive',
    'outbox',
  ] as const) {
    const f: GenMailFolder = {
      key: `${prefix}/${wk}`,
      parentKey: root.key,
      displayName: names?.[wk] ?? wk,
      wellKnownName: wk,
      messages: [],
    };
    folders.push(f);
    wellKnown.set(wk, f);
  }
  // Custom folders: a rotation through the path list, parents added before children.
  const inbox = wellKnown.get('inbox') as GenMailFolder;
  const byPath = new Map<string, GenMailFolder>();
  const custom: GenMailFolder[] = [];
  const addPath = (path: string): void => {
    if (byPath.has(path) || custom.length >= ctx.shape.customFoldersPerMailbox) return;
    const parts = path.split('/');
    const parentPath = parts.slice(0, -1).join('/');
    let parentKey = root.key;
    if (parentPath === 'Inbox') parentKey = inbox.key;
    else if (parentPath) {
      addPath(parentPath);
      const parent = byPath.get(parentPath);
      if (!parent) return;
      parentKey = parent.key;
    }
    if (custom.length >= ctx.shape.customFoldersPerMailbox) return;
    const f: GenMailFolder = {
      key: `${prefix}/c${custom.length}`,
      parentKey,
      displayName: parts[parts.length - 1] ?? path,
      wellKnownName: null,
      messages: [],
    };
    byPath.set(path, f);
    custom.push(f);
    folders.push(f);
  };
  const start = rng.below(CUSTOM_FOLDER_PATHS.length);
  for (let k = 0; k < CUSTOM_FOLDER_PATHS.length && custom.length < ctx.shape.customFoldersPerMailbox; k++) {
    addPath(CUSTOM_FOLDER_PATHS[(start + k) % CUSTOM_FOLDER_PATHS.length] as string);
  }
  for (let n = custom.length; n < ctx.shape.customFoldersPerMailbox; n++) {
    const f: GenMailFolder = {
      key: `${prefix}/c${n}`,
      parentKey: root.key,
      displayName: `Folder ${n + 1}`,
      wellKnownName: null,
      messages: [],
    };
    custom.push(f);
    folders.push(f);
  }

  const folderWeights: [GenMailFolder, number][] = [
    [inbox, 50],
    [wellKnown.get('sentitems') as GenMailFolder, 18],
    [wellKnown.get('archive') as GenMailFolder, 8],
    [wellKnown.get('deleteditems') as GenMailFolder, 4],
    [wellKnown.get('junkemail') as GenMailFolder, 2],
    [wellKnown.get('drafts') as GenMailFolder, 1],
    ...custom.map((f): [GenMailFolder, number] => [f, 17 / Math.max(1, custom.length)]),
  ];
  return {
    person,
    userIndex,
    folderWeights,
    mailbox: {
      timeZone: office?.timeZone ?? 'UTC',
      language: { locale: person.locale, displayName: LOCALE_NAMES[person.locale] ?? person.locale },
      folders,
    },
  };
}

/** Folders whose mail was received: what is not sent, unsent or junk. */
function receivesInternalMail(wk: WellKnownFolder | null): boolean {
  return wk !== 'sentitems' && wk !== 'drafts' && wk !== 'outbox' && wk !== 'junkemail';
}

/**
 * Every mailbox's messages, round by round: message m of every mailbox is made in round m, from
 * that mailbox's own stream (`message / user / m`), so growing `messagesPerMailbox` adds rounds
 * and leaves earlier ones as they were. As in Exchange, internal mail exists once per mailbox it
 * touched: a mailbox whose message m is in Sent Items sent it, and each colleague it went to (To
 * or Cc) holds a delivered copy as their message m, in the folder their slot chose (inbox,
 * archive, a custom folder, deleted items). The copies share the body and attachment bytes
 * (`contentSeed`) and the Internet Message-ID, and differ in what each mailbox adds: received
 * time, read state, flags, categories and the per-copy transport headers (`transportSeed`).
 * Colleagues whose message m is something else this round (their own sent mail, a draft, junk)
 * are not addressed in it; received messages no colleague sent this round come from outside.
 */
function generateMail(ctx: Context, mailboxes: readonly MailboxPlan[]): void {
  const mail: MailContext = {
    now: ctx.now,
    colleagues: ctx.colleagues,
    externals: ctx.externals,
    // The company's common documents go around by mail too (those of attachment size).
    documents: ctx.sharedFiles.filter((f) => f.size <= 512 * 1024),
  };
  interface Slot {
    plan: MailboxPlan;
    rng: Rng;
    folder: GenMailFolder;
    key: string;
    taken: boolean;
  }
  for (let m = 0; m < ctx.shape.messagesPerMailbox; m++) {
    const slots: Slot[] = mailboxes.map((plan) => {
      const rng = Rng.derive(ctx.seed, 'message', plan.userIndex, m);
      const folder = rng.weighted(plan.folderWeights);
      return { plan, rng, folder, key: flat(`u${plan.userIndex}/m${m}`), taken: false };
    });
    const receiving = slots.filter((slot) => receivesInternalMail(slot.folder.wellKnownName));
    for (const slot of slots) {
      if (slot.folder.wellKnownName !== 'sentitems') continue;
      const reached: Slot[] = [];
      const colleague = (rng: Rng): GenAddress | undefined => {
        const free = receiving.filter((r) => !r.taken);
        if (free.length === 0) return undefined;
        const chosen = rng.pick(free);
        chosen.taken = true;
        reached.push(chosen);
        return chosen.plan.person.address;
      };
      const sent = generateMessage(
        mail,
        slot.plan.person.address,
        'sentitems',
        slot.key,
        slot.rng,
        undefined,
        {
          colleague,
        },
      );
      slot.folder.messages.push(sent);
      for (const copy of reached) copy.folder.messages.push(deliveredCopy(sent, copy.key, copy.rng, ctx.now));
    }
    for (const slot of slots) {
      if (slot.folder.wellKnownName === 'sentitems' || slot.taken) continue;
      const wk = slot.folder.wellKnownName;
      slot.folder.messages.push(
        generateMessage(mail, slot.plan.person.address, wk, slot.key, slot.rng, undefined, {
          fromOutside: receivesInternalMail(wk),
        }),
      );
    }
  }
  for (const plan of mailboxes)
    for (const f of plan.mailbox.folders)
      f.messages.sort((a, b) =>
        a.receivedDateTime < b.receivedDateTime ? 1 : a.receivedDateTime > b.receivedDateTime ? -1 : 0,
      );
}

/** A colleague's copy of a sent message, as delivered to their mailbox a few seconds later. */
function deliveredCopy(sent: GenMessage, key: string, rng: Rng, now: number): GenMessage {
  const received = Math.min(now, Date.parse(sent.sentDateTime) + rng.int(1, 40) * 1000);
  const age = now - received;
  const roll = rng.float();
  return {
    ...sent,
    key,
    receivedDateTime: iso(received),
    isRead: rng.chance(age > 7 * DAY ? 0.96 : 0.55),
    flagStatus: roll < 0.05 ? 'flagged' : roll < 0.08 ? 'complete' : 'notFlagged',
    categories: rng.chance(0.1) ? rng.sample(CATEGORIES, rng.int(1, 2)) : [],
    attachments: sent.attachments.length > 0 ? sent.attachments.slice() : [],
    ...(sent.attachmentSeeds ? { attachmentSeeds: sent.attachmentSeeds.slice() } : {}),
    transportSeed: rng.u32(),
  };
}

/** Who mail is exchanged with: the tenant's mailbox users and a fixed set of outsiders. */
interface MailContext {
  now: number;
  colleagues: readonly GenAddress[];
  externals: readonly GenAddress[];
  /** Documents people attach as they are, byte-identical in every message (and drive) holding them. */
  documents?: readonly { name: string; contentSeed: number; size: number; mimeType: string }[];
}

function otherPerson(mail: MailContext, rng: Rng, not: GenAddress): GenAddress {
  const others = mail.colleagues.length - (mail.colleagues.some((c) => c.address === not.address) ? 1 : 0);
  if (others <= 0) return rng.pick(mail.externals);
  for (;;) {
    const p = rng.pick(mail.colleagues);
    if (p.address !== not.address) return p;
  }
}

/** A flat copy of a string built by concatenation (a rope costs several times its length). */
function flat(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** Message-IDs as outside mailers write them (Gmail's CA+…, Exchange elsewhere, a uuid otherwise). */
function externalMessageId(rng: Rng, address: string): string {
  const domain = address.split('@')[1] ?? 'example.com';
  if (domain === 'gmail.com') return flat(`<CA+${rng.hex(20)}@mail.gmail.com>`);
  if (domain === 'outlook.com') return serverMessageId(rng, 'namprd12.prod.outlook.com');
  return flat(`<${rng.guid()}.${rng.int(1000, 9999)}@${domain}>`);
}

function serverMessageId(rng: Rng, host: string): string {
  const server = rng.pick(['AM9PR07MB7154', 'DB9PR07MB8210', 'PAXPR03MB7890', 'VI1PR04MB5566']);
  return flat(`<${server}${rng.hex(18).toUpperCase()}@${server}.${host}>`);
}

interface MessageOptions {
  /**
   * Outgoing mail: picks the next colleague it goes to (who then holds a copy), or undefined when
   * no colleague is left (the recipient is an outsider). Default: any colleague, no copies.
   */
  colleague?: (rng: Rng) => GenAddress | undefined;
  /** Received mail: from an outsider (colleagues' mail is their sent mail's copies). */
  fromOutside?: boolean;
}

function generateMessage(
  ctx: MailContext,
  owner: GenAddress,
  wk: WellKnownFolder | null,
  key: string,
  rng: Rng,
  receivedAt?: number,
  options: MessageOptions = {},
): GenMessage {
  const contentSeed = rng.u32();
  const plan = messagePlan(contentSeed);
  const outgoing = wk === 'sentitems' || wk === 'drafts' || wk === 'outbox';
  const external = wk === 'junkemail' || (!outgoing && (options.fromOutside || rng.chance(0.35)));
  const from = outgoing ? owner : external ? rng.pick(ctx.externals) : otherPerson(ctx, rng, owner);
  const to: GenAddress[] = [];
  const cc: GenAddress[] = [];
  const colleague = (): GenAddress | undefined =>
    options.colleague ? options.colleague(rng) : otherPerson(ctx, rng, owner);
  const colleagueOrOutsider = (): GenAddress => colleague() ?? rng.pick(ctx.externals);
  if (outgoing) {
    const n = rng.weighted([
      [1, 6],
      [2, 3],
      [3, 1],
    ] as const);
    for (let i = 0; i < n; i++) to.push(rng.chance(0.7) ? colleagueOrOutsider() : rng.pick(ctx.externals));
    // Team mail: a handful of colleagues in copy.
    if (rng.chance(0.25)) for (let i = rng.int(2, 6); i > 0; i--) cc.push(colleagueOrOutsider());
  } else {
    to.push(owner);
    if (rng.chance(0.25)) to.push(otherPerson(ctx, rng, owner));
  }
  if (rng.chance(outgoing ? 0.3 : 0.25))
    cc.push(outgoing ? colleagueOrOutsider() : otherPerson(ctx, rng, owner));
  if (rng.chance(0.1)) cc.push(rng.pick(ctx.externals));
  const dedupe = (list: GenAddress[]): GenAddress[] =>
    list.filter((a, i) => list.findIndex((b) => b.address === a.address) === i);

  // Recent mail is denser than old mail.
  const age = Math.pow(rng.float(), 1.6) * 365 * DAY;
  const received = receivedAt ?? ctx.now - age;
  const sent = received - rng.int(2, 180) * 1000;

  const subjects = SUBJECTS[plan.language] ?? SUBJECTS.en ?? ['Hello'];
  let subject = flat(fillPlaceholders(rng, rng.pick(subjects)));
  if (rng.chance(0.3)) subject = flat(rng.pick(REPLY_PREFIX[plan.language]) + subject);

  const attachments: GenAttachmentInfo[] = [];
  const attachmentSeeds: number[] = [];
  if (plan.html && rng.chance(0.12)) {
    attachments.push({
      name: 'image001.png',
      contentType: 'image/png',
      size: rng.int(3_000, 24_000),
      isInline: true,
      contentId: `image001.png@01DC${rng.hex(2).toUpperCase()}.${rng.hex(4).toUpperCase()}`,
    });
    if (rng.chance(0.3))
      attachments.push({
        name: 'image002.jpg',
        contentType: 'image/jpeg',
        size: rng.int(20_000, 400_000),
        isInline: true,
        contentId: `image002.jpg@01DC${rng.hex(2).toUpperCase()}.${rng.hex(4).toUpperCase()}`,
      });
  }
  if (wk !== 'junkemail' && rng.chance(0.16)) {
    const count = rng.weighted([
      [1, 7],
      [2, 2],
      [3, 1],
    ] as const);
    const big = rng.chance(0.012);
    for (let i = 0; i < count; i++) {
      if (ctx.documents?.length && !(big && i === 0) && rng.chance(0.02)) {
        const doc = rng.pick(ctx.documents);
        attachmentSeeds[attachments.length] = doc.contentSeed;
        attachments.push({
          name: doc.name,
          contentType: doc.mimeType,
          size: doc.size,
          isInline: false,
          contentId: null,
        });
        continue;
      }
      const ext = big && i === 0 ? rng.pick(['pdf', 'zip', 'pptx']) : rng.weighted(ATTACHMENT_TYPES);
      const name = fileName(rng, ext, plan.language);
      // A few large ones, over the 3 MB/4 MB line where Graph needs an upload session.
      const size =
        big && i === 0 ? rng.int(4_300_000, 7_000_000) : sizeFor(rng, ext, 3_900_000, ATTACHMENT_SIZE_MODEL);
      attachments.push({
        name,
        contentType: MIME_TYPES[ext] ?? 'application/octet-stream',
        size,
        isInline: false,
        contentId: null,
      });
    }
  }
  const roll = rng.float();
  const message: GenMessage = {
    key,
    contentSeed,
    subject,
    from,
    toRecipients: dedupe(to).slice(),
    ccRecipients: dedupe(cc)
      .filter((c) => !to.some((t) => t.address === c.address))
      .slice(),
    sentDateTime: iso(sent),
    receivedDateTime: iso(received),
    internetMessageId:
      external && !outgoing
        ? externalMessageId(rng, from.address)
        : serverMessageId(rng, `${rng.pick(['eurprd07', 'eurprd04', 'namprd12'])}.prod.outlook.com`),
    isRead: outgoing || (wk === 'junkemail' ? rng.chance(0.3) : rng.chance(age > 7 * DAY ? 0.96 : 0.55)),
    flagStatus: roll < 0.05 ? 'flagged' : roll < 0.08 ? 'complete' : 'notFlagged',
    importance: rng.chance(0.04) ? 'high' : rng.chance(0.02) ? 'low' : 'normal',
    categories: rng.chance(0.1) ? rng.sample(CATEGORIES, rng.int(1, 2)) : [],
    bodyPreview: '',
    // Exact-size copies: an array grown by push keeps spare capacity, 200,000 times over.
    attachments: attachments.length > 0 ? attachments.slice() : [],
    hasAttachments: attachments.some((a) => !a.isInline),
  };
  if (attachmentSeeds.length > 0)
    message.attachmentSeeds = Array.from(
      { length: attachments.length },
      (_, i) => attachmentSeeds[i] ?? null,
    );
  message.bodyPreview = bodyPreviewFor(message);
  return message;
}

function pickFolders(rng: Rng, all: readonly string[], count: number): string[] {
  const chosen = new Set<string>();
  for (const path of rng.sample(all, count)) {
    const parts = path.split('/');
    for (let k = 1; k <= parts.length; k++) chosen.add(parts.slice(0, k).join('/'));
  }
  return [...chosen].sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1));
}

function generateDrive(
  ctx: Context,
  owner: string,
  driveType: GenDrive['driveType'],
  name: string,
  fileCount: number,
  locale: string,
  folderNames: readonly string[] = DRIVE_FOLDERS,
): GenDrive {
  const rng = Rng.derive(ctx.seed, 'drive', owner);
  const folders = pickFolders(rng, folderNames, rng.int(4, 9));
  const language = languageOfLocale(locale);
  const used = new Set<string>();
  const files: GenFile[] = [];
  for (let i = 0; i < fileCount; i++) {
    const frng = Rng.derive(ctx.seed, 'file', owner, i);
    const folder = frng.chance(0.15) ? '' : frng.pick(folders);
    let file: Omit<GenFile, 'key' | 'path'> & { name: string };
    if (frng.chance(ctx.shape.duplicateFileShare) && ctx.sharedFiles.length > 0) {
      const shared = frng.pick(ctx.sharedFiles);
      file = {
        name: shared.name,
        size: shared.size,
        mimeType: shared.mimeType,
        contentSeed: shared.contentSeed,
        createdDateTime: '',
        lastModifiedDateTime: '',
      };
    } else {
      const ext = frng.weighted(DRIVE_FILE_TYPES);
      const fname = fileName(frng, ext, language);
      // A few files approach the size limit.
      const size = frng.chance(0.01)
        ? Math.floor(ctx.shape.maxFileBytes * (0.9 + 0.1 * frng.float()))
        : sizeFor(frng, ext, ctx.shape.maxFileBytes);
      file = {
        name: fname,
        size,
        mimeType: MIME_TYPES[ext] ?? 'application/octet-stream',
        contentSeed: contentSeedFor(frng.u32(), fname),
        createdDateTime: '',
        lastModifiedDateTime: '',
      };
    }
    let path = folder ? `${folder}/${file.name}` : file.name;
    if (used.has(path.toLowerCase())) {
      const dot = file.name.lastIndexOf('.');
      for (let n = 1; used.has(path.toLowerCase()); n++) {
        const alt = `${file.name.slice(0, dot)} (${n})${file.name.slice(dot)}`;
        path = folder ? `${folder}/${alt}` : alt;
      }
    }
    used.add(path.toLowerCase());
    const created = ctx.now - Math.pow(frng.float(), 1.3) * 365 * DAY;
    const modified = created + frng.float() * (ctx.now - created);
    files.push({
      key: `${owner}/f${i}`,
      path,
      size: file.size,
      mimeType: file.mimeType,
      contentSeed: file.contentSeed,
      createdDateTime: iso(created),
      lastModifiedDateTime: iso(modified),
    });
  }
  return { driveType, name, folders, files };
}

const LIBRARY_FOLDERS: readonly string[] = [
  'General',
  'Contracts',
  'Contracts/2026',
  'Templates',
  'Policies',
  'Reports',
  'Reports/Q3',
  'Präsentationen',
  'Archive',
  'Marketing/Assets',
];

function generateSites(ctx: Context): GenSite[] {
  const sites: GenSite[] = [];
  const makeSite = (
    index: number,
    urlPath: string,
    displayName: string,
    libraries: string[],
    filesPerLibrary: number,
  ): GenSite => {
    const rng = Rng.derive(ctx.seed, 'site', index);
    return {
      siteCollectionId: rng.guid(),
      webId: rng.guid(),
      urlPath,
      displayName,
      description: index === 0 ? `${ctx.company} intranet` : `Team site for ${displayName}`,
      createdDateTime: iso(ctx.now - rng.int(400, 1500) * DAY),
      libraries: libraries.map((lib, k) =>
        generateDrive(
          ctx,
          `site-${index}-lib-${k}`,
          'documentLibrary',
          lib,
          filesPerLibrary,
          'en-US',
          LIBRARY_FOLDERS,
        ),
      ),
    };
  };
  sites.push(makeSite(0, '', 'Communication site', ['Documents'], Math.ceil(ctx.shape.filesPerLibrary / 2)));
  const names = Rng.derive(ctx.seed, 'site-names').sample(SITE_NAMES, SITE_NAMES.length);
  const usedPaths = new Set<string>();
  for (let i = 0; i < ctx.shape.sites; i++) {
    const displayName = i < names.length ? (names[i] as string) : `Project Site ${i + 1}`;
    let path = `/sites/${asciiFold(displayName).replace(/[^A-Za-z0-9-]+/g, '')}`;
    for (let n = 2; usedPaths.has(path.toLowerCase()); n++)
      path = `/sites/${asciiFold(displayName).replace(/[^A-Za-z0-9-]+/g, '')}${n}`;
    usedPaths.add(path.toLowerCase());
    const libRng = Rng.derive(ctx.seed, 'site-libraries', i);
    const libraries = [
      'Documents',
      ...libRng.sample(LIBRARY_NAMES.slice(1), Math.max(0, ctx.shape.librariesPerSite - 1)),
    ];
    while (libraries.length < ctx.shape.librariesPerSite) libraries.push(`Library ${libraries.length + 1}`);
    sites.push(
      makeSite(
        i + 1,
        path,
        displayName,
        libraries.slice(0, Math.max(0, ctx.shape.librariesPerSite)),
        ctx.shape.filesPerLibrary,
      ),
    );
  }
  return sites;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function generateGroups(ctx: Context): GenGroup[] {
  const groups: GenGroup[] = [];
  const names = Rng.derive(ctx.seed, 'group-names').sample(GROUP_NAMES, GROUP_NAMES.length);
  const nicknames = new Set<string>();
  for (let g = 0; g < ctx.shape.groups; g++) {
    const rng = Rng.derive(ctx.seed, 'group', g);
    const displayName = g < names.length ? (names[g] as string) : `Team ${g + 1}`;
    let nick = asciiFold(displayName).replace(/[^A-Za-z0-9]+/g, '');
    for (let n = 2; nicknames.has(nick.toLowerCase()); n++)
      nick = `${asciiFold(displayName).replace(/[^A-Za-z0-9]+/g, '')}${n}`;
    nicknames.add(nick.toLowerCase());
    const pool = ctx.mailboxPeople;
    const members = rng.sample(pool, Math.min(pool.length, rng.int(3, 8)));
    const owners = members.slice(0, Math.min(members.length, rng.int(1, 2)));
    const created = ctx.now - rng.int(30, 700) * DAY;
    const threads: GenThread[] = [];
    for (let t = 0; t < ctx.shape.threadsPerGroup; t++) {
      const trng = Rng.derive(ctx.seed, 'thread', g, t);
      const posts: GenPost[] = [];
      let when = Math.max(created, ctx.now - trng.float() * 300 * DAY);
      const postCount = trng.weighted([
        [1, 3],
        [2, 3],
        [3, 2],
        [5, 1],
      ] as const);
      for (let p = 0; p < postCount; p++) {
        const author = members.length > 0 ? trng.pick(members).address : trng.pick(ctx.externals);
        const lang = members.length > 0 ? languageOfLocale(trng.pick(members).locale) : 'en';
        const sentences = SENTENCES[lang] ?? SENTENCES.en ?? [];
        const paras = Array.from(
          { length: trng.int(1, 3) },
          () => `<p>${escapeHtml(trng.sample(sentences, trng.int(1, 3)).join(' '))}</p>`,
        );
        posts.push({
          key: `g${g}/t${t}/p${p}`,
          from: author,
          receivedDateTime: iso(when),
          bodyHtml: `<html><body><div dir="ltr">${paras.join('')}</div></body></html>`,
        });
        when = Math.min(ctx.now, when + trng.int(10, 3 * 24 * 60) * 60_000);
      }
      threads.push({ key: `g${g}/t${t}`, topic: trng.pick(THREAD_TOPICS), posts });
    }
    groups.push({
      id: rng.guid(),
      displayName,
      mailNickname: nick,
      mail: `${nick.toLowerCase()}@${ctx.domain}`,
      description: `${displayName} – ${ctx.company}`,
      visibility: rng.chance(0.6) ? 'Private' : 'Public',
      groupTypes: ['Unified'],
      resourceProvisioningOptions: rng.chance(0.6) ? ['Team'] : [],
      createdDateTime: iso(created),
      ownerIds: owners.map((p) => p.user.id),
      memberIds: members.map((p) => p.user.id),
      drive: generateDrive(
        ctx,
        `group-${g}`,
        'documentLibrary',
        'Documents',
        ctx.shape.filesPerGroupLibrary,
        'en-US',
        ['General', 'General/Meeting notes', 'Files', 'Files/Shared', 'Recordings'],
      ),
      threads,
    });
  }
  return groups;
}

// ---- single items, for the simulator's control API ("new mail", "new file") -------------------

/** One new message, shaped like the generated ones (the same subjects, bodies, attachments). */
export function createMessage(options: CreateMessageOptions): GenMessage {
  const rng = Rng.derive(options.seed, 'new-message');
  const externals = EXTERNAL_SENDERS.map(([name, address]) => ({ name, address }));
  const mail: MailContext = {
    now: options.receivedAt.getTime(),
    colleagues: options.colleagues ?? [],
    externals,
  };
  return generateMessage(
    mail,
    options.owner,
    options.folder ?? 'inbox',
    options.key,
    rng,
    options.receivedAt.getTime(),
  );
}

/** One new file, shaped like the generated ones. */
export function createFile(options: CreateFileOptions): GenFile {
  const rng = Rng.derive(options.seed, 'new-file');
  const ext = rng.weighted(DRIVE_FILE_TYPES);
  const name = fileName(rng, ext, languageOfLocale(options.locale ?? 'en-US'));
  const size = sizeFor(rng, ext, options.maxFileBytes ?? 20 * 1024 * 1024);
  const when = iso(options.createdAt.getTime());
  return {
    key: options.key,
    path: options.folder ? `${options.folder}/${name}` : name,
    size,
    mimeType: MIME_TYPES[ext] ?? 'application/octet-stream',
    contentSeed: contentSeedFor(rng.u32(), name),
    createdDateTime: when,
    lastModifiedDateTime: when,
  };
}
