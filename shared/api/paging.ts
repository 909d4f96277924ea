import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors/app-error';

/** `limit` and `cursor` query parameters of every list. */
export const pageQuery = {
  limit: z.coerce
    .number({ error: 'expected a whole number from 1 to 200' })
    .int('expected a whole number from 1 to 200')
    .min(1, 'expected a whole number from 1 to 200')
    .max(200, 'expected a whole number from 1 to 200')
    .default(50),
  cursor: z.string().min(1).max(4096, 'cursor too long').optional(),
};

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    /** Pass as `cursor` for the next page; null on the last page. */
    nextCursor: z.string().nullable(),
  });
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A storage page: items and the store's own continuation (a Table Storage token, an offset). */
export interface StorePage<T> {
  items: T[];
  continuation?: string;
}

/**
 * Cursors are opaque to clients: the store's continuation plus a fingerprint of the query they
 * belong to (tenant, endpoint, filters), so a cursor cannot be replayed against another query
 * or another tenant.
 */
export function encodeCursor(continuation: string | undefined, scope: unknown[]): string | null {
  if (continuation === undefined) return null;
  return Buffer.from(JSON.stringify({ c: continuation, s: fingerprint(scope) }), 'utf8').toString(
    'base64url',
  );
}

export function decodeCursor(cursor: string | undefined, scope: unknown[]): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      c?: unknown;
      s?: unknown;
    };
    if (typeof parsed.c === 'string' && parsed.s === fingerprint(scope)) return parsed.c;
  } catch {
    // fall through
  }
  throw new AppError('invalid', 'The cursor is not valid for this query.', {
    details: [{ field: 'query.cursor', message: 'not a cursor from this list with these filters' }],
  });
}

function fingerprint(scope: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(scope)).digest('base64url').slice(0, 16);
}

export function pageResult<T>(page: StorePage<T>, scope: unknown[]): Page<T> {
  return { items: page.items, nextCursor: encodeCursor(page.continuation, scope) };
}
