/**
 * Bytes of files and messages: generated on demand from seeds, or read from the blob store, and
 * the quickXorHash of a file's content (cached: equal content has an equal hash).
 */
import { Readable } from 'node:stream';
import type { ContentRef } from './model';
import type { SimState } from './state';

const hashCache = new Map<string, string>();

function contentKey(content: ContentRef): string {
  return content.kind === 'gen'
    ? `gen:${content.contentSeed}:${content.size}:${JSON.stringify(content.pieces ?? [])}`
    : `blob:${content.sha256}`;
}

export function contentBytes(state: SimState, content: ContentRef, start = 0, end = content.size): Buffer {
  if (content.kind === 'blob') return state.blobs.get(content.sha256).subarray(start, end);
  return state.generator.fileBytes(content, start, end);
}

export function contentStream(state: SimState, content: ContentRef, start = 0, end = content.size): Readable {
  if (content.kind === 'blob') return Readable.from([state.blobs.get(content.sha256).subarray(start, end)]);
  const stream = state.generator.fileStream(content, start, end);
  return stream instanceof Readable ? stream : Readable.from(stream as AsyncIterable<Buffer>);
}

function* chunks(state: SimState, content: ContentRef): Iterable<Buffer> {
  const step = 4 * 1024 * 1024;
  for (let offset = 0; offset < content.size; offset += step) {
    yield contentBytes(state, content, offset, Math.min(content.size, offset + step));
  }
}

export function quickXorHashOf(state: SimState, content: ContentRef): string {
  const key = contentKey(content);
  let hash = hashCache.get(key);
  if (hash === undefined) {
    hash = state.generator.quickXorHash(content.size === 0 ? [] : chunks(state, content));
    hashCache.set(key, hash);
  }
  return hash;
}

/**
 * Computes the hashes of `contents` not yet known, yielding to the event loop between 4 MiB
 * chunks, so a page of large generated files does not stall every other request while hashing.
 */
export async function ensureHashes(state: SimState, contents: ContentRef[]): Promise<void> {
  const create = state.generator.createQuickXorHash?.bind(state.generator);
  for (const content of contents) {
    const key = contentKey(content);
    if (hashCache.has(key)) continue;
    if (!create || content.size <= 4 * 1024 * 1024) {
      quickXorHashOf(state, content);
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    const hash = create();
    for (const chunk of chunks(state, content)) {
      hash.update(chunk);
      await new Promise((resolve) => setImmediate(resolve));
    }
    hashCache.set(key, hash.digestBase64());
  }
}
