import { z } from 'zod';
import { customerTenantOf } from '../../auth/caller';
import { isAppError, AppError } from '../../errors/app-error';
import { conflictPolicies } from '../../restore/restore-job';
import { requestImportRestore } from '../../restore/restore-requests';
import { defineEndpoint } from '../endpoint';
import { resourceKind, timestamp } from '../schemas';
import {
  inBody,
  restoreRequestedView,
  targetFromInput,
  targetInput,
  toRestoreRequestedView,
} from './restores';

const uploadId = z
  .string({ error: 'expected the uploadId from POST /v1/imports/uploads' })
  .regex(/^[0-9a-f]{32}$/, 'expected the uploadId from POST /v1/imports/uploads');

/** A refusal of the uploaded zip names the field the request names it by. */
function refusedUpload(error: unknown): unknown {
  if (!isAppError(error) || error.code !== 'invalid') return error;
  return new AppError(error.code, error.message, {
    details: error.details.map((d) => (d.field === 'upload' ? { ...d, field: 'body.uploadId' } : d)),
    cause: error,
  });
}

export const importEndpoints = [
  defineEndpoint({
    operationId: 'createImportUpload',
    method: 'POST',
    route: 'v1/imports/uploads',
    summary: 'A link to upload a backup zip for an import',
    description:
      'Answers a write-only link (create and write, no read or list) to one new blob, valid IMPORT_UPLOAD_LINK_MINUTES. `PUT` the zip there with `x-ms-blob-type: BlockBlob` (or in blocks with Put Block / Put Block List), then `POST /v1/imports` with the `uploadId`. Zips over `maxBytes` are refused (413) before they are read.',
    tag: 'imports',
    access: 'admin',
    audit: { action: 'import.upload-link' },
    response: {
      status: 201,
      description: 'Where to upload, until when, and the size limit.',
      schema: z.object({
        uploadId: z.string(),
        url: z.string(),
        method: z.literal('PUT'),
        headers: z.object({ 'x-ms-blob-type': z.literal('BlockBlob') }),
        expiresAt: timestamp,
        maxBytes: z.number().int(),
      }),
    },
    handler: async ({ caller, deps, audit }) => {
      const tenant = customerTenantOf(caller);
      const link = await deps.importUploads().createLink(tenant.tenantId);
      audit.target = link.uploadId;
      audit.details = { expiresAt: link.expiresAt, maxBytes: link.maxBytes };
      return {
        status: 201,
        body: {
          uploadId: link.uploadId,
          url: link.url,
          method: 'PUT' as const,
          headers: { 'x-ms-blob-type': 'BlockBlob' as const },
          expiresAt: link.expiresAt,
          maxBytes: link.maxBytes,
        },
      };
    },
  }),
  defineEndpoint({
    operationId: 'requestImport',
    method: 'POST',
    route: 'v1/imports',
    summary: 'Restore an uploaded backup zip (a one-time code is mailed, as for a restore)',
    description:
      'Checks the upload: its size (413 over the limit, before reading it), then that it is a zip made by an export of this organisation, unchanged (safe names, no links, no zip bomb, a valid manifest, every item’s size and SHA-256). A refused zip answers 400 with the reason and is deleted; nothing is restored. On success the restore is created in `awaiting-verification` (its identity — resource, snapshot — comes from manifest.json, so a renamed file restores to where it came from) and a code is mailed; `POST /v1/restores/{id}/verify` starts it.',
    tag: 'imports',
    access: 'admin',
    body: z.strictObject({
      uploadId,
      target: targetInput.optional().describe('default: the resource named in the manifest'),
      conflict: z
        .enum(conflictPolicies, { error: 'expected skip, rename or overwrite' })
        .default('skip')
        .describe('files that exist at the target (default skip)'),
    }),
    errors: ['conflict', 'too-large', 'unavailable'],
    audit: { action: 'import.request' },
    response: {
      status: 202,
      description: 'The restore of the upload, awaiting its verification code; what the zip holds.',
      schema: restoreRequestedView.extend({
        backup: z.object({
          customer: z.string(),
          resourceName: z.string(),
          resourceKind,
          snapshotTime: z.string().describe('when the exported snapshot was taken'),
          items: z.number().int(),
        }),
      }),
    },
    handler: async ({ caller, deps, body, audit }) => {
      const tenant = customerTenantOf(caller);
      audit.target = body.uploadId;
      const manifest = await deps
        .importUploads()
        .validate(tenant.tenantId, body.uploadId)
        .catch((error: unknown) => {
          audit.details = { refused: isAppError(error) ? error.message.slice(0, 200) : 'error' };
          throw refusedUpload(error);
        });
      const requested = await requestImportRestore(deps.restores(), {
        tenantId: tenant.tenantId,
        importId: body.uploadId,
        manifest,
        target: body.target ? targetFromInput(body.target) : { kind: 'original' },
        conflict: body.conflict,
        requestedBy: caller.userName || caller.userId,
      }).catch((error: unknown) => {
        throw inBody(error);
      });
      audit.target = requested.job.jobId;
      audit.details = {
        uploadId: body.uploadId,
        resourceId: requested.job.resourceId,
        snapshotTime: manifest.snapshotTime,
        items: manifest.items.length,
        codeSentTo: requested.verification.sentTo,
      };
      return {
        body: {
          ...toRestoreRequestedView(requested),
          backup: {
            customer: manifest.customer,
            resourceName: manifest.resourceName,
            resourceKind: manifest.resourceKind,
            snapshotTime: manifest.snapshotTime,
            items: manifest.items.length,
          },
        },
      };
    },
  }),
];
