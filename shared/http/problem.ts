import type { HttpResponseInit } from '@azure/functions';
import { AppError, type ErrorCode } from '../errors/app-error';

/** The single mapping from application error codes to HTTP statuses (RFC 9457 problem details). */
export const statusFor: Record<ErrorCode, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'locked-out': 403,
  'not-found': 404,
  conflict: 409,
  gone: 410,
  'too-large': 413,
  'unsupported-media-type': 415,
  throttled: 429,
  unavailable: 503,
  permanent: 422,
  internal: 500,
};

const titleFor: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: { field: string; message: string }[];
  instance?: string;
}

/**
 * Maps any thrown value to a problem+json response. Unknown errors become a generic 500 with no
 * internal message or stack (the caller logs the original).
 */
export function problemResponse(error: unknown, instance?: string): HttpResponseInit {
  const appError =
    error instanceof AppError ? error : new AppError('internal', 'An unexpected error occurred.');
  const status = statusFor[appError.code];
  const body: ProblemDocument = {
    type: `https://m365backup.dev/problems/${appError.code}`,
    title: titleFor[status] ?? 'Error',
    status,
    detail: appError.message,
    code: appError.code,
    ...(appError.details.length > 0 ? { errors: appError.details } : {}),
    ...(instance ? { instance } : {}),
  };
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (appError.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(appError.retryAfterSeconds)));
  }
  return { status, headers, body: JSON.stringify(body) };
}
