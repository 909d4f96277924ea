/**
 * The one application error type. Graph and Azure errors are translated into it where they enter
 * the app; HTTP status codes appear only at the HTTP edge (shared/http/problem.ts).
 */
export type ErrorCode =
  | 'invalid' // the caller's input is wrong; details name the fields
  | 'unauthenticated' // no or bad credentials
  | 'forbidden' // authenticated, not allowed
  | 'locked-out' // too many wrong verification codes: the operation was cancelled (403, its own code)
  | 'not-found'
  | 'conflict' // state does not allow it (e.g. no free licence, lease held)
  | 'gone' // a sync state (delta token) expired: resynchronise from scratch
  | 'too-large'
  | 'unsupported-media-type'
  | 'throttled' // retry after `retryAfterSeconds`
  | 'unavailable' // a dependency is down; retryable
  | 'permanent' // will never succeed; record and move on
  | 'internal';

export interface FieldProblem {
  /** Dotted path of the field, e.g. `body.resourceIds.0`. */
  field: string;
  message: string;
}

export interface AppErrorOptions {
  details?: FieldProblem[];
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: FieldProblem[];
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** Whether queue work should throw (so the host retries) rather than record a permanent failure. */
  get retryable(): boolean {
    return this.code === 'throttled' || this.code === 'unavailable' || this.code === 'internal';
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
