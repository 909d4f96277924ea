/**
 * The simulator's mutable state, as plain JSON-serialisable records (persisted as one snapshot).
 * Generated content is referenced by seed (`ContentRef`/`MessageContent`), never copied: bytes are
 * rebuilt by the generator on demand. Every change takes the next global sequence number
 * (`changeSeq`), which is what delta tokens count in.
 */
import type { ContentPiece, GenAddress, GenAttachmentInfo, GenMessage } from '../generator/contract';

export type ContentRef =
  | { kind: 'gen'; contentSeed: number; size: number; pieces?: ContentPiece[] }
  | { kind: 'blob'; sha256: string; size: number };

export type MessageContent =
  { kind: 'gen'; gen: GenMessage } | { kind: 'blob'; sha256: string; size: number };

export interface Tombstone {
  seq: number;
  reason: 'changed' | 'deleted';
}

export interface UserRec {
  id: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  userPrincipalName: string;
  mail: string | null;
  mailNickname: string;
  jobTitle: string | null;
  officeLocation: string | null;
  mobilePhone: string | null;
  businessPhones: string[];
  preferredLanguage: string | null;
  userType: 'Member' | 'Guest';
  accountEnabled: boolean;
  createdDateTime: string;
  licensed: boolean;
  /** Exchange Online mailbox present (mailboxes[id] exists and is enabled). */
  hasMailbox: boolean;
  driveId: string | null;
  changeSeq: number;
  removed?: Tombstone;
}

export interface PostRec {
  id: string;
  from: GenAddress;
  receivedDateTime: string;
  createdDateTime: string;
  bodyHtml: string;
}

export interface ThreadRec {
  id: string;
  topic: string;
  lastDeliveredDateTime: string;
  posts: PostRec[];
}

export interface GroupRec {
  id: string;
  displayName: string;
  mailNickname: string;
  mail: string;
  description: string;
  visibility: 'Private' | 'Public';
  groupTypes: string[];
  resourceProvisioningOptions: string[];
  createdDateTime: string;
  ownerIds: string[];
  memberIds: string[];
  driveId: string;
  siteId: string;
  threads: ThreadRec[];
  changeSeq: number;
  removed?: Tombstone;
}

export interface SiteRec {
  id: string;
  siteCollectionId: string;
  webId: string;
  host: string;
  urlPath: string;
  name: string;
  displayName: string;
  description: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  kind: 'root' | 'site' | 'group' | 'personal';
  driveIds: string[];
  groupId?: string;
  ownerUserId?: string;
}

export interface IdentityRef {
  id?: string;
  displayName: string;
  email?: string;
}

export interface ItemRec {
  id: string;
  parentId: string | null;
  name: string;
  isFolder: boolean;
  content?: ContentRef;
  mimeType?: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  createdBy: IdentityRef;
  lastModifiedBy: IdentityRef;
  /** eTag `"{guid},eTagN"` changes with any change; cTag `"c:{guid},cTagN"` with content only. */
  tagGuid: string;
  eTagN: number;
  cTagN: number;
  changeSeq: number;
  deleted?: boolean;
  /** Live children of a folder. */
  children?: Record<string, true>;
}

export interface DriveRec {
  id: string;
  tenantId: string;
  driveType: 'business' | 'documentLibrary';
  name: string;
  description: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  webUrl: string;
  owner: { kind: 'user' | 'group' | 'site'; id: string; displayName: string; email?: string };
  siteId: string;
  rootId: string;
  items: Record<string, ItemRec>;
  /** Bumped to invalidate every delta token of this drive (410 resyncRequired). */
  epoch: number;
  quotaTotal: number;
}

export interface AddedAttachment {
  id: string;
  name: string;
  contentType: string;
  size: number;
  isInline: boolean;
  contentId: string | null;
  sha256: string;
  lastModifiedDateTime: string;
}

export interface MessageRec {
  immutableId: string;
  restId: string;
  restVersion: number;
  folderId: string;
  content: MessageContent;
  subject: string;
  from: GenAddress | null;
  toRecipients: GenAddress[];
  ccRecipients: GenAddress[];
  bccRecipients: GenAddress[];
  replyTo: GenAddress[];
  sentDateTime: string | null;
  receivedDateTime: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  internetMessageId: string | null;
  bodyPreview: string;
  hasAttachments: boolean;
  attachments: GenAttachmentInfo[];
  addedAttachments: AddedAttachment[];
  isRead: boolean;
  isDraft: boolean;
  flagStatus: 'notFlagged' | 'flagged' | 'complete';
  importance: 'low' | 'normal' | 'high';
  categories: string[];
  conversationId: string;
  /** Bumped on every change (changeKey / @odata.etag). */
  version: number;
  changeSeq: number;
  /** When the message arrived in its current folder (created or moved in): delta's `created`. */
  arrivedSeq: number;
  /** Values of singleValueExtendedProperties set by clients, by property id. */
  extendedProperties?: Record<string, string>;
}

export interface FolderRec {
  id: string;
  parentId: string | null;
  displayName: string;
  wellKnownName: string | null;
  isHidden: boolean;
  changeSeq: number;
  removed?: Tombstone;
  messageIds: Record<string, true>;
  /** Messages that left the folder (deleted or moved out): immutable id → when, and the REST id then. */
  departed: Record<string, { seq: number; restId: string }>;
  /** Bumped to invalidate this folder's message delta tokens (410 SyncStateNotFound). */
  epoch: number;
}

export interface MailboxRec {
  userId: string;
  enabled: boolean;
  timeZone: string;
  language: { locale: string; displayName: string };
  folders: Record<string, FolderRec>;
  messages: Record<string, MessageRec>;
  /** REST id → immutable id, for the current REST id of each message. */
  restIndex: Record<string, string>;
  /** Bumped to invalidate mailFolders/delta tokens. */
  foldersEpoch: number;
}

export interface TenantState {
  id: string;
  index: number;
  isProvider: boolean;
  displayName: string;
  domain: string;
  sharePointHost: string;
  /** App registrations consented in this tenant: client id → granted application roles. */
  consent: Record<string, { roles: string[]; consentedAt: string }>;
  users: Record<string, UserRec>;
  groups: Record<string, GroupRec>;
  sites: Record<string, SiteRec>;
  drives: Record<string, DriveRec>;
  mailboxes: Record<string, MailboxRec>;
  /** Portal app roles per user (Backup.Admin, Backup.Reader, Backup.Operator). */
  portalRoles: Record<string, string[]>;
  /** Bumped to invalidate users/groups delta tokens. */
  directoryEpoch: number;
  /** The shape it was generated with (for reset). */
  shape?: import('../generator/contract').TenantShape;
}

export interface SentMailRecord {
  tenantId: string;
  fromUserId: string;
  to: string[];
  subject: string;
  at: string;
  deliveredTo: string[];
  savedToSentItems: boolean;
}

export interface SimStateData {
  format: 1;
  seed: number;
  seq: number;
  /** base64 secret for token sealing and download URL signing. */
  secret: string;
  tenants: Record<string, TenantState>;
  sentMail: SentMailRecord[];
}
