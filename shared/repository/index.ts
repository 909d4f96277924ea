/**
 * The backup repository: a per-tenant, content-addressed, deduplicated, compressed and encrypted
 * store in Blob Storage. Format: docs/repository-format.md.
 */
export {
  openRepository,
  containerNameForTenant,
  DEFAULT_REPOSITORY_OPTIONS,
  BULK_READ_BYTES,
  Repository,
  type ContentReadOptions,
  type OpenRepositoryParams,
  type SharedRepositoryResources,
  type RepositoryOptions,
  type ChunkPlacement,
  type SegmentHold,
  type RepositoryStats,
  type VerifyReport,
  type ByteSource,
  type PutOptions,
} from './repository';
export { ReadPlan, type ReadPlanOptions, type ReadPlanStats } from './read-plan';
export { TreeBuilder, type ContentRef, type EntryKind, type Tree, type TreeEntry } from './tree';
export {
  LocalMasterKey,
  KeyVaultMasterKey,
  WRONG_MASTER_KEY,
  masterKeyFromSettings,
  type MasterKeySettings,
  type MasterKeyProvider,
  type KeyWrapClient,
  type KeyVaultMasterKeyOptions,
  type WrappedKey,
} from './master-key';
export { AzureBlobStore, MemoryBlobStore, type BlobData, type BlobStore } from './blob-store';
export { DEFAULT_CHUNKER, type ChunkerOptions } from './chunker';
export { DEFAULT_COMPRESSION, type CompressionOptions } from './compression';
export { ByteLruCache } from './lru-cache';
