/**
 * Graph-shaped identifiers, derived deterministically from stable keys so a seed always yields the
 * same ids: GUIDs for directory objects, `b!…` for drives, `01…` base32 for drive items, `AAMkA…`
 * for Outlook items (REST ids) and `AAkALgAA…` for immutable ids.
 */
import { createHash, randomBytes } from 'node:crypto';

function digest(parts: (string | number)[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

export function guid(...parts: (string | number)[]): string {
  const h = digest(parts);
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function driveId(...parts: (string | number)[]): string {
  const h = Buffer.concat([digest([...parts, 'a']), digest([...parts, 'b'])]);
  return 'b!' + h.toString('base64url').slice(0, 64);
}

const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function driveItemId(...parts: (string | number)[]): string {
  const h = digest(parts);
  let out = '01';
  for (let i = 0; i < 32; i++) out += base32[h[i]! & 31];
  return out;
}

function outlookBody(parts: (string | number)[], length: number): string {
  return digest(parts)
    .toString('base64')
    .replace(/\//g, '-')
    .replace(/\+/g, '_')
    .replace(/=+$/, '')
    .slice(0, length);
}

export function mailFolderId(...parts: (string | number)[]): string {
  return 'AAMkA' + outlookBody(['folder', ...parts], 38) + 'AAA=';
}

/** A message's REST id; `version` changes when the message moves (as Exchange's entry ids do). */
export function messageRestId(immutableId: string, version: number): string {
  return 'AAMkA' + outlookBody(['rest', immutableId, version], 40) + 'AAA=';
}

export function messageImmutableId(...parts: (string | number)[]): string {
  return 'AAkALgAA' + outlookBody(['immutable', ...parts], 40) + 'AAA=';
}

export function attachmentId(messageImmutableId: string, index: number): string {
  return 'AAMkA' + outlookBody(['attachment', messageImmutableId, index], 30) + 'BEgAQA=';
}

export function changeKey(...parts: (string | number)[]): string {
  return 'CQAAABYAAA' + outlookBody(['ck', ...parts], 28);
}

export function etagGuid(...parts: (string | number)[]): string {
  return guid('etag', ...parts).toUpperCase();
}

export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
