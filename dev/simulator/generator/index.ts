/**
 * The simulator's deterministic content generator (see README.md and contract.ts).
 */
import type { Generator } from './contract.js';
import { editContent, fileBytes, fileStream } from './content.js';
import { messageBody } from './message-content.js';
import { buildMime } from './mime.js';
import { parseMimeMetadata } from './parse.js';
import { createQuickXorHash, quickXorHash } from './quickxorhash.js';
import { createFile, createMessage, defaultShape, generateTenant } from './tenant.js';

export type * from './contract.js';
export type { ContentSpec, EditOptions } from './content.js';
export type { QuickXorHash } from './quickxorhash.js';
export { PAGE_SIZE, contentSeedFor, editContent, fileBytes, fileStream, profileOfSeed } from './content.js';
export { buildMime } from './mime.js';
export { messageBody } from './message-content.js';
export { parseMimeMetadata } from './parse.js';
export { createQuickXorHash, quickXorHash } from './quickxorhash.js';
export { asciiFold, createFile, createMessage, defaultShape, generateTenant } from './tenant.js';

export const generator: Generator = {
  defaultShape,
  generateTenant,
  buildMime,
  fileBytes,
  fileStream,
  quickXorHash,
  parseMimeMetadata,
  editFile: editContent,
  createQuickXorHash,
  createMessage,
  createFile,
  messageBody,
};
