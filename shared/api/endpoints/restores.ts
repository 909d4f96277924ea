import { z } from 'zod';
import { customerTenantOf } from '../../auth/caller';
import { decodeSnapshotId } from '../../backup/snapshot-record';
import { AppError, isAppError } from '../../errors/app-error';
import { cancelRestoreJob } from '../../restore/restore-engine';
import {
  conflictPolicies,
  restoreStates,
  type RestoreJob,
  type RestoreScope,
  type RestoreTarget,
} from '../../restore/restore-job';
import { requestRestore, verifyRestore, type RestoreRequested } from '../../restore/restore-requests';
import { defineEndpoint } from '../endpoint';
import { decodeCursor, pageOf, pageQuery, pageResult } from '../paging';
import { idParams, opaqueId, resourceId, resourceKind, timestamp } from '../schemas';
import { decodeFolderPath, decodeItemId, encodeFolderPath, encodeItemId } from './snapshots';

/** A folder as browse paths write it (`Inbox/Projects`, `~1` for `/` in a name); not the root. */
const folderPathText = z
  .string({ error: 'expected a folder path, e.g. Inbox/Projects' })
  .max(2048, 'at most 2048 characters')
  .refine((v) => decodeFolderPath(v).length > 0, 'expected a folder path, e.g. Inbox/Projects');

/** What to restore or export: the core's scope, with paths and item ids as the browse API writes them. */
export const scopeInput = z
  .discriminatedUnion(
    'kind',
    [
      z.strictObject({ kind: z.literal('all') }),
      z.strictObject({
        kind: z.literal('folders'),
        paths: z
          .array(folderPathText, { error: 'expected a list of folder paths' })
          .min(1, 'expected at least one folder path')
          .max(100, 'at most 100 folders'),
      }),
      z.strictObject({
        kind: z.literal('items'),
        itemIds: z
          .array(opaqueId, { error: 'expected a list of item ids' })
          .min(1, 'expected at least one item id')
          .max(1000, 'at most 1000 items'),
      }),
    ],
    { error: 'expected {kind: "all"}, {kind: "folders", paths} or {kind: "items", itemIds}' },
  )
  .describe(
    '`all`: the whole resource; `folders`: folder paths as browse returns them (with everything below); `items`: item ids as browse returns them',
  );

export const scopeView = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }),
  z.object({ kind: z.literal('folders'), paths: z.array(z.string()) }),
  z.object({ kind: z.literal('items'), itemIds: z.array(z.string()) }),
]);

export function scopeFromInput(scope: z.output<typeof scopeInput>): RestoreScope {
  if (scope.kind === 'folders') return { kind: 'folders', paths: scope.paths.map(decodeFolderPath) };
  if (scope.kind === 'items') {
    return {
      kind: 'items',
      // Ids as browse writes them: with or without the folder hint (decodeItemId reads both).
      itemIds: scope.itemIds.map((id, i) => {
        try {
          return decodeItemId(id).sourceId;
        } catch {
          throw new AppError('invalid', 'The item id is not valid.', {
            details: [{ field: `body.scope.itemIds.${i}`, message: 'not an item id from this API' }],
          });
        }
      }),
    };
  }
  return { kind: 'all' };
}

export function toScopeView(scope: RestoreScope): z.input<typeof scopeView> {
  if (scope.kind === 'folders') return { kind: 'folders', paths: scope.paths.map(encodeFolderPath) };
  if (scope.kind === 'items') return { kind: 'items', itemIds: scope.itemIds.map((id) => encodeItemId(id)) };
  return { kind: 'all' };
}

export const targetInput = z
  .discriminatedUnion(
    'kind',
    [
      z.strictObject({ kind: z.literal('original') }),
      z.strictObject({
        kind: z.literal('resource'),
        resourceId,
        folder: folderPathText
          .optional()
          .describe('folder in the target to restore under (mail: default the mailbox root)'),
      }),
    ],
    { error: 'expected {kind: "original"} or {kind: "resource", resourceId, folder?}' },
  )
  .describe('`original`: where the items came from; `resource`: another resource of the same kind');

const targetView = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('original') }),
  z.object({ kind: z.literal('resource'), resourceId: z.string(), folder: z.string().nullable() }),
]);

export function targetFromInput(target: z.output<typeof targetInput>): RestoreTarget {
  return target.kind === 'resource'
    ? {
        kind: 'resource',
        resourceId: target.resourceId,
        folderPath: target.folder ? decodeFolderPath(target.folder) : [],
      }
    : { kind: 'original' };
}

const problem = z.object({ item: z.string(), reason: z.string() });

export const progressView = z.object({
  itemsDone: z.number().int(),
  itemsTotal: z.number().int().describe('0 until the job has read its scope'),
  bytesDone: z.number().int(),
  bytesTotal: z.number().int(),
});

export const restoreJobView = z.object({
  id: z.string(),
  state: z.enum(restoreStates),
  resourceId: z.string().describe('the resource the snapshot (or the uploaded backup) is of'),
  resourceKind,
  snapshotId: z.string(),
  importId: z.string().nullable().describe('the upload restored from, for an import'),
  scope: scopeView,
  target: targetView,
  conflict: z.enum(conflictPolicies),
  requestedBy: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
  destination: z.string().nullable().describe('where a mail restore put the messages'),
  progress: progressView,
  report: z.object({
    restored: z.number().int(),
    skippedCount: z.number().int(),
    failedCount: z.number().int(),
    skipped: z.array(problem).describe('the first 100 skipped items with the reason'),
    failed: z.array(problem).describe('the first 100 failed items with the reason'),
  }),
  failureReason: z.string().nullable(),
});

export function toRestoreJobView(job: RestoreJob): z.input<typeof restoreJobView> {
  return {
    id: job.jobId,
    state: job.state,
    resourceId: job.resourceId,
    resourceKind: job.resourceKind,
    snapshotId: job.snapshotId,
    importId: job.importId ?? null,
    scope: toScopeView(job.scope),
    target:
      job.target.kind === 'resource'
        ? {
            kind: 'resource',
            resourceId: job.target.resourceId,
            folder: job.target.folderPath.length > 0 ? encodeFolderPath(job.target.folderPath) : null,
          }
        : { kind: 'original' },
    conflict: job.conflict,
    requestedBy: job.requestedBy,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    startedAt: job.startedAt ?? null,
    finishedAt: job.finishedAt ?? null,
    destination: job.destination ?? null,
    progress: job.progress,
    report: job.report,
    failureReason: job.failureReason ?? null,
  };
}

/** The answer to a restore or import request: the job, where its code went, and the warning. */
export const restoreRequestedView = z.object({
  job: restoreJobView,
  verification: z.object({
    sentTo: z.string().describe('the masked address the one-time code was mailed to'),
    expiresAt: timestamp,
    warning: z.string(),
  }),
});

export function toRestoreRequestedView(r: RestoreRequested): z.input<typeof restoreRequestedView> {
  return { job: toRestoreJobView(r.job), verification: r.verification };
}

/** Another tenant's snapshot id is refused before any lookup (not found, like a missing one). */
export function ownSnapshot(tenantId: string, snapshotId: string): void {
  const key = decodeSnapshotId(snapshotId);
  if (!key || key.tenantId !== tenantId) throw new AppError('not-found', 'snapshot not found');
}

/** Core field problems (`target.resourceId`) named as the request names them (`body.target.resourceId`). */
export function inBody(error: unknown): unknown {
  if (!isAppError(error) || error.details.length === 0) return error;
  const details = error.details.map((d) =>
    /^(body|params|query)(\.|$)/.test(d.field) ? d : { ...d, field: `body.${d.field}` },
  );
  return new AppError(error.code, error.message, { details, cause: error });
}

const verifyBody = z.strictObject({
  code: z
    .string({ error: 'expected the 6-digit code from the mail' })
    .trim()
    .regex(/^\d{6}$/, 'expected the 6-digit code from the mail'),
});

/** What a verification attempt came to, for the audit trail. */
function verificationResult(error: unknown): string {
  if (!isAppError(error)) return 'error';
  switch (error.code) {
    case 'invalid':
      return 'wrong-code';
    case 'gone':
      return 'expired';
    case 'locked-out':
      return 'locked-out';
    case 'conflict':
      return 'not-awaiting-verification';
    case 'not-found':
      return 'no-such-restore';
    default:
      return error.code;
  }
}

export const restoreEndpoints = [
  defineEndpoint({
    operationId: 'requestRestore',
    method: 'POST',
    route: 'v1/restores',
    summary: 'Request a restore (a one-time code is mailed to the registered admin contact)',
    description:
      'Creates the restore in `awaiting-verification` and mails a 6-digit code (valid 10 minutes, usable once) to the tenant’s registered admin contact; `POST /v1/restores/{id}/verify` with the code starts it. A restore writes into live Microsoft 365 data (with `overwrite` it replaces it) and cannot be undone. Mail is always added as copies (the conflict policy applies to files).',
    tag: 'restores',
    access: 'admin',
    body: z.strictObject({
      snapshotId: opaqueId,
      scope: scopeInput,
      target: targetInput,
      conflict: z
        .enum(conflictPolicies, { error: 'expected skip, rename or overwrite' })
        .describe('files that exist at the target: skip, rename the restored one, or overwrite'),
    }),
    errors: ['conflict', 'unavailable'],
    audit: { action: 'restore.request' },
    response: {
      status: 202,
      description: 'The restore, awaiting its verification code; where the code went; the warning.',
      schema: restoreRequestedView,
    },
    handler: async ({ caller, deps, body, audit }) => {
      const tenant = customerTenantOf(caller);
      ownSnapshot(tenant.tenantId, body.snapshotId);
      audit.details = { snapshotId: body.snapshotId, scope: body.scope.kind, conflict: body.conflict };
      const requested = await requestRestore(deps.restores(), {
        tenantId: tenant.tenantId,
        snapshotId: body.snapshotId,
        scope: scopeFromInput(body.scope),
        target: targetFromInput(body.target),
        conflict: body.conflict,
        requestedBy: caller.userName || caller.userId,
      }).catch((error: unknown) => {
        throw inBody(error);
      });
      audit.target = requested.job.jobId;
      audit.details = {
        ...audit.details,
        resourceId: requested.job.resourceId,
        target: requested.job.target.kind === 'resource' ? requested.job.target.resourceId : 'original',
        codeSentTo: requested.verification.sentTo,
      };
      return { body: toRestoreRequestedView(requested) };
    },
  }),
  defineEndpoint({
    operationId: 'verifyRestore',
    method: 'POST',
    route: 'v1/restores/{id}/verify',
    summary: 'Start a requested restore with its one-time verification code',
    description:
      'A wrong code answers 400 with the attempts left; the fifth wrong code cancels the restore (403 with problem code `locked-out`, unlike `forbidden` for a missing role). An expired code (after 10 minutes) cancels the restore and answers 410: request it again. A restore that no longer awaits its code (already verified, cancelled) answers 409.',
    tag: 'restores',
    access: 'admin',
    params: idParams,
    body: verifyBody,
    errors: ['conflict', 'gone', 'locked-out'],
    audit: { action: 'restore.verify' },
    response: { status: 202, description: 'The restore, queued.', schema: restoreJobView },
    handler: async ({ caller, deps, params, body, audit }) => {
      const tenant = customerTenantOf(caller);
      const restores = deps.restores();
      try {
        const job = await restores.jobs.get(tenant.tenantId, params.id);
        if (job.state === 'cancelled') {
          throw new AppError('conflict', `the restore was cancelled (${job.failureReason ?? 'cancelled'})`);
        }
        if (job.state !== 'awaiting-verification') {
          throw new AppError(
            'conflict',
            `the restore was already verified and is ${job.state}: a verification code works once`,
          );
        }
        const queued = await verifyRestore(restores, tenant.tenantId, params.id, body.code).catch(
          async (error: unknown) => {
            if (!isAppError(error) || error.code !== 'gone') throw error;
            // An expired code can never start this restore: cancel it rather than leave it waiting.
            await cancelRestoreJob(restores, tenant.tenantId, params.id, 'the verification code expired');
            throw new AppError(
              'gone',
              'the verification code has expired (codes are valid 10 minutes): this restore was cancelled; request it again',
            );
          },
        );
        audit.details = { result: 'verified', resourceId: queued.resourceId };
        return { body: toRestoreJobView(queued) };
      } catch (error) {
        audit.details = { result: verificationResult(error) };
        throw error;
      }
    },
  }),
  defineEndpoint({
    operationId: 'listRestores',
    method: 'GET',
    route: 'v1/restores',
    summary: "Your tenant's restores (imports included), newest first",
    tag: 'restores',
    access: 'reader',
    query: z.object({
      state: z.enum(restoreStates).optional(),
      ...pageQuery,
    }),
    response: { status: 200, description: 'A page of restores.', schema: pageOf(restoreJobView) },
    handler: async ({ caller, deps, query }) => {
      const tenant = customerTenantOf(caller);
      const scope = ['restores', tenant.tenantId, query.state];
      const continuation = decodeCursor(query.cursor, scope);
      const page = await deps
        .restores()
        .jobs.page(tenant.tenantId, query.state ? { state: query.state } : {}, {
          limit: query.limit,
          ...(continuation ? { continuation } : {}),
        });
      return {
        body: pageResult(
          {
            items: page.items.map(toRestoreJobView),
            ...(page.continuation ? { continuation: page.continuation } : {}),
          },
          scope,
        ),
      };
    },
  }),
  defineEndpoint({
    operationId: 'getRestore',
    method: 'GET',
    route: 'v1/restores/{id}',
    summary: 'One restore: state, progress (items and bytes done of the total) and its report',
    tag: 'restores',
    access: 'reader',
    params: idParams,
    response: { status: 200, description: 'The restore.', schema: restoreJobView },
    handler: async ({ caller, deps, params }) => {
      const tenant = customerTenantOf(caller);
      return { body: toRestoreJobView(await deps.restores().jobs.get(tenant.tenantId, params.id)) };
    },
  }),
  defineEndpoint({
    operationId: 'cancelRestore',
    method: 'POST',
    route: 'v1/restores/{id}/cancel',
    summary: 'Cancel a restore that awaits its code, is queued or is running',
    description:
      'A running restore stops after the item it is writing (within about a second); what it already wrote stays. A finished restore answers 409.',
    tag: 'restores',
    access: 'admin',
    params: idParams,
    errors: ['conflict'],
    audit: { action: 'restore.cancel' },
    response: { status: 200, description: 'The cancelled restore.', schema: restoreJobView },
    handler: async ({ caller, deps, params, audit }) => {
      const tenant = customerTenantOf(caller);
      const cancelled = await cancelRestoreJob(
        deps.restores(),
        tenant.tenantId,
        params.id,
        `cancelled by ${caller.userName || caller.userId}`,
      );
      audit.details = { resourceId: cancelled.resourceId };
      return { body: toRestoreJobView(cancelled) };
    },
  }),
];
