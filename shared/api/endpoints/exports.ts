import { z } from 'zod';
import { customerTenantOf } from '../../auth/caller';
import { createExportJob, DOWNLOAD_LINK_MINUTES, exportDownloadLink } from '../../export/export-engine';
import type { ExportJob, ExportState } from '../../export/export-job';
import { defineEndpoint } from '../endpoint';
import { decodeCursor, pageOf, pageQuery, pageResult } from '../paging';
import { idParams, opaqueId, resourceKind, timestamp } from '../schemas';
import { ownSnapshot, progressView, scopeFromInput, scopeInput, scopeView, toScopeView } from './restores';

const exportStates = [
  'queued',
  'running',
  'completed',
  'failed',
  'expired',
] as const satisfies readonly ExportState[];

export const exportJobView = z.object({
  id: z.string(),
  state: z.enum(exportStates),
  resourceId: z.string(),
  resourceKind,
  snapshotId: z.string(),
  scope: scopeView,
  includeAttachments: z.boolean(),
  fileName: z.string().describe('`<customer> - <resource> - <snapshot time> - Backup.zip`'),
  requestedBy: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
  finishedAt: timestamp.nullable(),
  progress: progressView,
  zipBytes: z.number().int().nullable().describe('size of the finished zip'),
  expiresAt: timestamp.nullable().describe('when the finished zip is deleted (EXPORT_RETENTION_DAYS)'),
  failureReason: z.string().nullable(),
  download: z
    .object({
      url: z.string().describe('a read-only link to this one file'),
      expiresAt: timestamp,
    })
    .nullable()
    .describe(
      `for Backup.Admin when the export is completed: a link valid ${DOWNLOAD_LINK_MINUTES} minutes (each link issued is audited as a download); otherwise null`,
    ),
});

function toExportJobView(
  job: ExportJob,
  download: { url: string; expiresAt: string } | null = null,
): z.input<typeof exportJobView> {
  return {
    id: job.jobId,
    state: job.state,
    resourceId: job.resourceId,
    resourceKind: job.resourceKind,
    snapshotId: job.snapshotId,
    scope: toScopeView(job.scope),
    includeAttachments: job.includeAttachments,
    fileName: job.fileName,
    requestedBy: job.requestedBy,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    finishedAt: job.finishedAt ?? null,
    progress: job.progress,
    zipBytes: job.zipBytes ?? null,
    expiresAt: job.expiresAt ?? null,
    failureReason: job.failureReason ?? null,
    download,
  };
}

export const exportEndpoints = [
  defineEndpoint({
    operationId: 'requestExport',
    method: 'POST',
    route: 'v1/exports',
    summary: 'Export a snapshot (or part of it) to a zip download',
    description:
      'Mail as `.eml` (the original MIME), files as themselves, and a `manifest.json` carrying the identity, so the zip can be imported again. Poll `GET /v1/exports/{id}` until it is completed.',
    tag: 'exports',
    access: 'admin',
    body: z.strictObject({
      snapshotId: opaqueId,
      scope: scopeInput,
      includeAttachments: z
        .boolean({ error: 'expected true or false' })
        .default(true)
        .describe('mail attachments in the .eml files (default true)'),
    }),
    audit: { action: 'export.request' },
    response: { status: 202, description: 'The export, queued.', schema: exportJobView },
    handler: async ({ caller, deps, body, audit }) => {
      const tenant = customerTenantOf(caller);
      ownSnapshot(tenant.tenantId, body.snapshotId);
      audit.details = {
        snapshotId: body.snapshotId,
        scope: body.scope.kind,
        includeAttachments: body.includeAttachments,
      };
      const job = await createExportJob(deps.exports(), {
        tenantId: tenant.tenantId,
        snapshotId: body.snapshotId,
        scope: scopeFromInput(body.scope),
        includeAttachments: body.includeAttachments,
        requestedBy: caller.userName || caller.userId,
      });
      audit.target = job.jobId;
      audit.details = { ...audit.details, resourceId: job.resourceId };
      return { body: toExportJobView(job) };
    },
  }),
  defineEndpoint({
    operationId: 'listExports',
    method: 'GET',
    route: 'v1/exports',
    summary: "Your tenant's exports, newest first",
    tag: 'exports',
    access: 'reader',
    query: z.object({ state: z.enum(exportStates).optional(), ...pageQuery }),
    response: {
      status: 200,
      description: 'A page of exports (without download links).',
      schema: pageOf(exportJobView),
    },
    handler: async ({ caller, deps, query }) => {
      const tenant = customerTenantOf(caller);
      const scope = ['exports', tenant.tenantId, query.state];
      const continuation = decodeCursor(query.cursor, scope);
      const page = await deps
        .exports()
        .jobs.page(tenant.tenantId, query.state ? { state: query.state } : {}, {
          limit: query.limit,
          ...(continuation ? { continuation } : {}),
        });
      return {
        body: pageResult(
          {
            items: page.items.map((job) => toExportJobView(job)),
            ...(page.continuation ? { continuation: page.continuation } : {}),
          },
          scope,
        ),
      };
    },
  }),
  defineEndpoint({
    operationId: 'getExport',
    method: 'GET',
    route: 'v1/exports/{id}',
    summary: 'One export: progress, and when completed a download link (Backup.Admin)',
    description: `Readers see the state and progress. For Backup.Admin a completed export carries \`download\`: a read-only link to this one zip, valid ${DOWNLOAD_LINK_MINUTES} minutes; every link issued is written to the audit trail as \`export.download\`.`,
    tag: 'exports',
    access: 'reader',
    params: idParams,
    response: { status: 200, description: 'The export.', schema: exportJobView },
    handler: async ({ caller, deps, params, address }) => {
      const tenant = customerTenantOf(caller);
      const exports = deps.exports();
      const job = await exports.jobs.get(tenant.tenantId, params.id);
      if (job.state !== 'completed' || !caller.isAdmin) return { body: toExportJobView(job) };
      const link = await exportDownloadLink(exports, job);
      // A link is a download: audited like one (the endpoint itself is a read for readers).
      await deps.audit.write(
        {
          at: deps.clock.now().toISOString(),
          actor: { tenantId: caller.tenantId, userId: caller.userId, userName: caller.userName },
          address,
          action: 'export.download',
          target: job.jobId,
          outcome: 'succeeded',
          status: 200,
          details: {
            fileName: job.fileName,
            zipBytes: job.zipBytes ?? null,
            resourceId: job.resourceId,
            linkExpiresAt: link.expiresAt,
          },
        },
        [tenant.tenantId],
      );
      return { body: toExportJobView(job, link) };
    },
  }),
];
