import { GraphError } from '@microsoft/microsoft-graph-client';
import { AppError, type ErrorCode } from '../errors/app-error';

/**
 * Graph errors are translated here, once, into the app's own codes. Codes are compared
 * case-insensitively because workloads differ (`ErrorItemNotFound` vs `itemNotFound`).
 */
const codeOverrides: Record<string, ErrorCode> = {
  syncstatenotfound: 'gone',
  resyncrequired: 'gone',
  resyncapplydifferences: 'gone',
  resyncuploaddifferences: 'gone',
  mailboxnotenabledforrestapi: 'not-found',
  erroritemnotfound: 'not-found',
  itemnotfound: 'not-found',
  request_resourcenotfound: 'not-found',
  resourcenotfound: 'not-found',
  erroraccessdenied: 'forbidden',
  accessdenied: 'forbidden',
  authorization_requestdenied: 'forbidden',
  invalidauthenticationtoken: 'unauthenticated',
  namealreadyexists: 'conflict',
  toomanyrequests: 'throttled',
  activitylimitreached: 'throttled',
  errormimecontentinvalidbase64string: 'invalid',
  quotalimitreached: 'permanent',
};

function codeForStatus(status: number): ErrorCode {
  if (status === 400 || status === 422) return 'invalid';
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 410) return 'gone';
  if (status === 413) return 'too-large';
  if (status === 415) return 'unsupported-media-type';
  if (status === 429) return 'throttled';
  if (status === 501 || status === 405 || status === 416 || status === 507) return 'permanent';
  if (status >= 500) return 'unavailable';
  return 'internal';
}

/** The Graph error code (`error.code`), when the failure came from Graph. */
export function graphErrorCode(error: unknown): string | undefined {
  if (error instanceof AppError && error.cause instanceof GraphError) return error.cause.code ?? undefined;
  if (error instanceof GraphError) return error.code ?? undefined;
  return undefined;
}

const networkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'EAI_AGAIN',
]);

/** True for failures where the connection broke rather than Graph answering. */
export function isNetworkError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && networkCodes.has(code)) return true;
    if (current instanceof TypeError && /fetch failed|terminated|other side closed/i.test(current.message))
      return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export function translateGraphError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof GraphError) {
    const status = error.statusCode;
    const graphCode = (error.code ?? '').toLowerCase();
    const code = codeOverrides[graphCode] ?? (status > 0 ? codeForStatus(status) : 'unavailable');
    const retryAfter = Number(error.headers?.get('retry-after'));
    return new AppError(code, `${what}: Graph answered ${status} ${error.code ?? ''}`.trim(), {
      cause: error,
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
    });
  }
  if (isNetworkError(error)) {
    return new AppError('unavailable', `${what}: the connection to Graph failed`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('internal', `${what}: ${message}`, { cause: error });
}
