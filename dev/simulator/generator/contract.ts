/**
 * The contract between the simulator's content generator (`dev/simulator/generator/`) and the
 * simulator's server (the rest of `dev/simulator/`). The generator is pure and deterministic: the
 * same seed and shape give the same tenant, byte for byte. It describes a tenant as metadata only
 * (small), and builds message MIME and file bytes on demand from per-item content seeds, so a
 * tenant of 100 users x 2,000 messages stays well under 1 GB of memory.
 *
 * The server owns ids (Graph-shaped: GUIDs for directory objects, `AAMkA…` for messages, `b!…` for
 * drives, …), mutable state, delta, paging and everything HTTP. The generator owns names, trees,
 * dates, MIME and bytes. Ids below are the generator's stable keys (`key`), from which the server
 * may derive Graph ids deterministically.
 */

export interface TenantShape {
  /** Users with a mailbox and a OneDrive. */
  users: number;
  /** Licensed users without a mailbox (mailboxSettings answers 404 MailboxNotEnabledForRESTAPI). */
  usersWithoutMailbox: number;
  /** Guest users (userType Guest, no mailbox, no drive). */
  guests: number;
  /** Messages per mailbox, spread over the well-known and nested custom folders. */
  messagesPerMailbox: number;
  /** Custom folders per mailbox (some nested two or three levels deep). */
  customFoldersPerMailbox: number;
  /** Files per OneDrive, in nested folders. */
  filesPerDrive: number;
  /** SharePoint sites (besides the root site), each with `librariesPerSite` document libraries. */
  sites: number;
  librariesPerSite: number;
  filesPerLibrary: number;
  /** Microsoft 365 (Unified) groups, each with a library and conversations. */
  groups: number;
  filesPerGroupLibrary: number;
  threadsPerGroup: number;
  /** Upper bound of a generated file's size in bytes (a few files approach it). */
  maxFileBytes: number;
  /** Share of files (0..1) that are byte-identical copies of a file in another drive. */
  duplicateFileShare: number;
}

export interface GenerateOptions {
  seed: number;
  /** 0-based index of the tenant in the simulator (tenants from one seed differ by index). */
  tenantIndex: number;
  shape: TenantShape;
  /** The instant "now" for the generated history (dates are spread over the year before it). */
  now: Date;
}

export interface GenTenant {
  /** A GUID, stable for (seed, tenantIndex). */
  tenantId: string;
  displayName: string;
  /** e.g. `contoso1.onmicrosoft.com`; SharePoint host is `contoso1.sharepoint.com`. */
  domain: string;
  sharePointHost: string;
  users: GenUser[];
  groups: GenGroup[];
  sites: GenSite[];
}

export interface GenUser {
  /** A GUID, stable. */
  id: string;
  displayName: string;
  givenName: string;
  surname: string;
  userPrincipalName: string;
  /** null for users without a mailbox. */
  mail: string | null;
  jobTitle: string | null;
  officeLocation: string | null;
  mobilePhone: string | null;
  businessPhones: string[];
  preferredLanguage: string | null;
  userType: 'Member' | 'Guest';
  accountEnabled: boolean;
  /** Present when the user has an Exchange Online mailbox. */
  mailbox: GenMailbox | null;
  /** Present for members with a OneDrive. */
  drive: GenDrive | null;
}

export interface GenMailbox {
  timeZone: string;
  language: { locale: string; displayName: string };
  /** Flat list; the tree is rebuilt through `parentKey`. Includes the well-known folders. */
  folders: GenMailFolder[];
}

export type WellKnownFolder =
  'msgfolderroot' | 'inbox' | 'drafts' | 'sentitems' | 'deleteditems' | 'junkemail' | 'archive' | 'outbox';

export interface GenMailFolder {
  key: string;
  /** null for msgfolderroot. */
  parentKey: string | null;
  displayName: string;
  wellKnownName: WellKnownFolder | null;
  messages: GenMessage[];
}

export interface GenAddress {
  name: string;
  address: string;
}

export interface GenAttachmentInfo {
  name: string;
  contentType: string;
  /** Size of the decoded attachment bytes. */
  size: number;
  isInline: boolean;
  /** Content-ID for inline parts (without angle brackets). */
  contentId: string | null;
}

export interface GenMessage {
  key: string;
  /** Seed from which `buildMime` produces this message's bytes. */
  contentSeed: number;
  /**
   * Set on a colleague's delivered copy of internal mail: the seed of what that copy's mailbox
   * adds (Received and transport headers). Copies of one sent message share `contentSeed` (body,
   * attachments, Message-ID) and differ here; absent on the sender's own copy and other mail.
   */
  transportSeed?: number;
  /**
   * Set when some attachments are one of the tenant's common documents: per attachment, that
   * document's content seed (its bytes equal the document's wherever it appears, drives included),
   * or null for an attachment of this message's own (derived from `contentSeed`).
   */
  attachmentSeeds?: (number | null)[];
  subject: string;
  from: GenAddress;
  toRecipients: GenAddress[];
  ccRecipients: GenAddress[];
  /** RFC 3339, UTC. sent <= received. */
  sentDateTime: string;
  receivedDateTime: string;
  internetMessageId: string;
  isRead: boolean;
  flagStatus: 'notFlagged' | 'flagged' | 'complete';
  importance: 'low' | 'normal' | 'high';
  categories: string[];
  /** Plain-text preview (first 255 characters of the text body). */
  bodyPreview: string;
  attachments: GenAttachmentInfo[];
  /** True when any non-inline attachment exists (Graph's `hasAttachments`). */
  hasAttachments: boolean;
}

export interface GenDrive {
  /** `personal`/`business` for OneDrive (`business` on OneDrive for Business), `documentLibrary` for libraries. */
  driveType: 'business' | 'documentLibrary';
  name: string;
  /** Folder paths relative to the root, parents before children, e.g. `Documents/Reports`. */
  folders: string[];
  files: GenFile[];
}

export interface GenFile {
  key: string;
  /** Path relative to the drive root, e.g. `Documents/Reports/Q3 résumé.docx`. */
  path: string;
  size: number;
  mimeType: string;
  /** Files with the same contentSeed and size are byte-identical (dedup across drives). */
  contentSeed: number;
  createdDateTime: string;
  lastModifiedDateTime: string;
  /**
   * Added by the generator (optional): an edited version's bytes, as ranges of content streams
   * (see `Generator.editFile`). Absent: the bytes are the first `size` bytes of `contentSeed`'s
   * stream. Pass it along wherever `contentSeed` and `size` go.
   */
  pieces?: ContentPiece[];
}

/** A range of the deterministic byte stream of a content seed (added by the generator). */
export interface ContentPiece {
  seed: number;
  /** Offset in that seed's stream. */
  offset: number;
  length: number;
}

/** Added by the generator: options of `Generator.editFile`. */
export interface EditFileOptions {
  /** Seed of the edit (for example the server's change counter): same seed, same edit. */
  editSeed: number;
  /** Upper bound of the share of bytes overwritten, inserted or removed (default 0.02). */
  changedFraction?: number;
  /** Number of edit sites (default 1 to 4, more for large files). */
  sites?: number;
}

/** Added by the generator: options of `Generator.createMessage`. */
export interface CreateMessageOptions {
  /** Seed of the new message (for example from the server's change counter). */
  seed: number;
  key: string;
  /** The mailbox owner. */
  owner: GenAddress;
  /** The folder it lands in: sent items, drafts and outbox hold the owner's own mail (default inbox). */
  folder?: WellKnownFolder | null;
  /** The tenant's other users, who write and receive mail (default: none, outsiders only). */
  colleagues?: readonly GenAddress[];
  /** When it arrives. */
  receivedAt: Date;
}

/** Added by the generator: options of `Generator.createFile`. */
export interface CreateFileOptions {
  /** Seed of the new file. */
  seed: number;
  key: string;
  /** Folder path relative to the drive root ('' for the root). */
  folder?: string;
  /** Creation time. */
  createdAt: Date;
  /** Upper bound of the size (default 20 MB). */
  maxFileBytes?: number;
  /** Language of the file name (default en-US). */
  locale?: string;
}

/** Added by the generator: a streaming QuickXorHash. */
export interface QuickXorHashState {
  update(data: Uint8Array): QuickXorHashState;
  /** The 20-byte hash of everything so far (does not reset). */
  digest(): Buffer;
  /** Base64 of `digest()`. */
  digestBase64(): string;
}

export interface GenGroup {
  id: string;
  displayName: string;
  mailNickname: string;
  mail: string;
  description: string;
  visibility: 'Private' | 'Public';
  /** Always includes 'Unified' for Microsoft 365 groups. */
  groupTypes: string[];
  /** ['Team'] for groups that are Teams. */
  resourceProvisioningOptions: string[];
  createdDateTime: string;
  /** User ids. */
  ownerIds: string[];
  memberIds: string[];
  /** The group's document library (its team site's "Documents"). */
  drive: GenDrive;
  threads: GenThread[];
}

export interface GenThread {
  key: string;
  topic: string;
  posts: GenPost[];
}

export interface GenPost {
  key: string;
  from: GenAddress;
  receivedDateTime: string;
  /** HTML body content. */
  bodyHtml: string;
}

export interface GenSite {
  /** GUIDs for the site collection and web: Graph's site id is `{host},{siteCollectionId},{webId}`. */
  siteCollectionId: string;
  webId: string;
  /** Site URL path, e.g. `/sites/Finance`; '' for the root site. */
  urlPath: string;
  displayName: string;
  description: string;
  createdDateTime: string;
  libraries: GenDrive[];
}

/** What the generator module exports (`dev/simulator/generator/index.ts`). */
export interface Generator {
  defaultShape(): TenantShape;
  generateTenant(options: GenerateOptions): GenTenant;
  /** Full RFC 5322 MIME of a generated message (CRLF line endings), identical for identical input. */
  buildMime(message: GenMessage): Buffer;
  /** Bytes [start, end) of a generated file, without building the whole file. */
  fileBytes(file: Pick<GenFile, 'contentSeed' | 'size' | 'pieces'>, start?: number, end?: number): Buffer;
  /** The whole file as a stream of chunks (for large files). */
  fileStream(
    file: Pick<GenFile, 'contentSeed' | 'size' | 'pieces'>,
    start?: number,
    end?: number,
  ): NodeJS.ReadableStream;
  /** OneDrive's quickXorHash (base64), as Graph reports in `file.hashes.quickXorHash`. */
  quickXorHash(data: Buffer | Iterable<Buffer>): string;
  /**
   * Added by the generator (optional): a new version of a file that shares most bytes with
   * `file` (a few overwritten, inserted and removed ranges). Store the result's `contentSeed`,
   * `size` and `pieces` on the edited GenFile.
   */
  editFile?(
    file: Pick<GenFile, 'contentSeed' | 'size' | 'pieces'>,
    options: EditFileOptions,
  ): { contentSeed: number; size: number; pieces: ContentPiece[] };
  /** Added by the generator (optional): QuickXorHash over data that arrives in blocks. */
  createQuickXorHash?(): QuickXorHashState;
  /**
   * Added by the generator (optional): the body of a generated message, as
   * `parseMimeMetadata(buildMime(message)).body` gives it, but without building and parsing the
   * MIME (microseconds instead of milliseconds for a message with large attachments).
   */
  messageBody?(message: GenMessage): ParsedMimeMetadata['body'];
  /** Added by the generator (optional): one new message like the generated ones (control API "new mail"). */
  createMessage?(options: CreateMessageOptions): GenMessage;
  /** Added by the generator (optional): one new file like the generated ones (control API "new file"). */
  createFile?(options: CreateFileOptions): GenFile;
  /** Metadata of any raw RFC 5322 message (a generated one, or one delivered through the control API). */
  parseMimeMetadata(mime: Buffer): Promise<ParsedMimeMetadata>;
}

export interface ParsedMimeMetadata {
  subject: string;
  from: GenAddress | null;
  toRecipients: GenAddress[];
  ccRecipients: GenAddress[];
  sentDateTime: string | null;
  internetMessageId: string | null;
  bodyPreview: string;
  /** The body Graph would return as `body`: HTML if the message has an HTML part, else text. */
  body: { contentType: 'html' | 'text'; content: string };
  attachments: GenAttachmentInfo[];
  hasAttachments: boolean;
}
