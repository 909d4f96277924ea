import { encodeItemId } from '../../../shared/api/endpoints/snapshots';
import { runExportJob } from '../../../shared/export/export-engine';
import { silentLogger } from '../../../shared/observability/logger';
import type { CallOptions } from './harness';
import { ApiHarness, PROVIDER, TENANT_A, TENANT_B } from './harness';

/** Tenant A with a protected mailbox, a committed snapshot, a support request; tenant B with its own. */
export interface ApiFixture {
  resourceId: string;
  snapshotId: string;
  itemId: string;
  requestId: string;
  incidentId: string;
  /** Tenant B's own resource and snapshot. */
  resourceIdB: string;
  snapshotIdB: string;
  /** A notification in tenant A's bell. */
  notificationId: string;
  /** Collaboration: tenant A's group and its team site (both protected). */
  siteId: string;
  groupId: string;
  /** Restores, exports, imports (issue 7): see seedRestoreFixture. */
  restoreId: string;
  restoreCode: string;
  cancelRestoreId: string;
  exportId: string;
  uploadId: string;
}

/** The API's id of a seeded item: its source id and the folder holding it (see encodeItemId). */
export const itemIdOf = (sourceId: string, folder: string[]) => encodeItemId(sourceId, folder);

export async function seedFixture(h: ApiHarness): Promise<ApiFixture> {
  await h.seedTenant(TENANT_A, { premiumSupport: true });
  await h.seedTenant(TENANT_B);
  const resource = await h.seedResource(TENANT_A, 'mailbox', 'alice');
  const resourceB = await h.seedResource(TENANT_B, 'mailbox', 'bob');
  const snapshot = await h.seedSnapshot(TENANT_A, resource.resourceId);
  const snapshotB = await h.seedSnapshot(TENANT_B, resourceB.resourceId);
  const admin = await h.token({ tenantId: TENANT_A, roles: ['Backup.Admin'] });
  const filed = await h.call('fileSupportRequest', { token: admin, body: sampleSupportRequest() });
  if (filed.status !== 201) throw new Error(`seed support request: ${filed.status} ${filed.text}`);
  const operator = await h.token({ tenantId: PROVIDER, roles: ['Backup.Operator'] });
  const incident = await h.call('createIncident', {
    token: operator,
    body: {
      services: ['exchange-backup'],
      title: 'Slow mailbox backups',
      impact: 'degraded',
      message: 'Looking into it',
    },
  });
  if (incident.status !== 201) throw new Error(`seed incident: ${incident.status} ${incident.text}`);
  const notification = await h.runtime.deps.notificationStore.inform({
    tenantId: TENANT_A,
    severity: 'blue',
    category: 'protection-added',
    resourceId: resource.resourceId,
    message: 'The mailbox alice was added to the subscription.',
  });
  const collaboration = await seedCollaboration(h);
  const restores = await seedRestoreFixture(h, snapshot.snapshotId);
  return {
    ...collaboration,
    ...restores,
    resourceId: resource.resourceId,
    snapshotId: snapshot.snapshotId,
    itemId: itemIdOf('AAMkAD/1+x=', ['Inbox']),
    requestId: filed.json.id,
    incidentId: incident.json.id,
    resourceIdB: resourceB.resourceId,
    snapshotIdB: snapshotB.snapshotId,
    notificationId: notification.notificationId,
  };
}

/** Collaboration: a Microsoft 365 group of tenant A and its team site, both protected. */
async function seedCollaboration(h: ApiHarness): Promise<{ siteId: string; groupId: string }> {
  const group = await h.seedResource(TENANT_A, 'group', 'team-1', { displayName: 'Team One' });
  const site = await h.seedResource(TENANT_A, 'site', 'contoso.sharepoint.com,sc-1,web-1', {
    displayName: 'Team One site',
    address: 'https://contoso.sharepoint.com/sites/team-1',
    groupId: 'team-1',
  });
  return { siteId: site.resourceId, groupId: group.resourceId };
}

export function sampleRestoreRequest(snapshotId: string, overrides: Record<string, unknown> = {}) {
  return {
    snapshotId,
    scope: { kind: 'folders', paths: ['Inbox'] },
    target: { kind: 'original' },
    conflict: 'skip',
    ...overrides,
  };
}

/**
 * Tenant A's restores, export and upload for the generated tests: a restore awaiting its code (and
 * the code the harness's mailer recorded), one to cancel, a finished export, and an uploaded zip
 * (that export, put through an upload link).
 */
async function seedRestoreFixture(h: ApiHarness, snapshotId: string) {
  const admin = await h.token({ tenantId: TENANT_A, roles: ['Backup.Admin'] });
  const request = async () => {
    const result = await h.call('requestRestore', { token: admin, body: sampleRestoreRequest(snapshotId) });
    if (result.status !== 202) throw new Error(`seed restore: ${result.status} ${result.text}`);
    return { id: result.json.job.id as string, code: h.mailedCodes[h.mailedCodes.length - 1]!.code };
  };
  const toVerify = await request();
  const toCancel = await request();
  const exported = await h.call('requestExport', {
    token: admin,
    body: { snapshotId, scope: { kind: 'all' } },
  });
  if (exported.status !== 202) throw new Error(`seed export: ${exported.status} ${exported.text}`);
  await runExportJob(h.restoreCore.export(silentLogger), { tenantId: TENANT_A, jobId: exported.json.id });
  const ready = await h.call('getExport', { token: admin, params: { id: exported.json.id } });
  const zip = Buffer.from(await (await fetch(ready.json.download.url)).arrayBuffer());
  const upload = await h.call('createImportUpload', { token: admin });
  if (upload.status !== 201) throw new Error(`seed upload link: ${upload.status} ${upload.text}`);
  const put = await fetch(upload.json.url, { method: 'PUT', headers: upload.json.headers, body: zip });
  if (!put.ok) throw new Error(`seed upload: ${put.status} ${await put.text()}`);
  return {
    restoreId: toVerify.id,
    restoreCode: toVerify.code,
    cancelRestoreId: toCancel.id,
    exportId: exported.json.id as string,
    uploadId: upload.json.uploadId as string,
  };
}

export function sampleSupportRequest(overrides: Record<string, unknown> = {}) {
  return {
    category: 'technical',
    severity: 'B',
    title: 'Restore is slow',
    description: 'A restore of one mailbox takes hours.',
    contact: { email: 'admin@example.com', phone: '+31 20 123 4567', preferredMethod: 'email' },
    ...overrides,
  };
}

let tenantCounter = 0;

/**
 * A valid request for each endpoint, against the fixture's tenant A ids. The authorisation matrix
 * and the validation tests fail for an endpoint missing here, so a new endpoint cannot be forgotten.
 */
export const validRequests: Record<string, (f: ApiFixture) => CallOptions> = {
  getOpenApiDocument: () => ({}),
  getMe: () => ({}),
  getDashboard: () => ({}),
  listResources: () => ({ query: { kind: 'mailbox', limit: '10' } }),
  getResource: (f) => ({ params: { id: f.resourceId } }),
  startResourceSnapshot: (f) => ({ params: { id: f.resourceId } }),
  listResourceSnapshots: (f) => ({ params: { id: f.resourceId }, query: { limit: '5' } }),
  getSnapshot: (f) => ({ params: { id: f.snapshotId } }),
  listSnapshotItems: (f) => ({ params: { id: f.snapshotId }, query: { path: 'Inbox' } }),
  getSnapshotItem: (f) => ({ params: { id: f.snapshotId, itemId: f.itemId } }),
  downloadSnapshotItem: (f) => ({ params: { id: f.snapshotId, itemId: f.itemId } }),
  getServiceHealth: () => ({}),
  createIncident: () => ({
    body: { services: ['portal'], title: 'Portal slow', impact: 'advisory', message: 'Investigating' },
  }),
  updateIncident: (f) => ({
    params: { id: f.incidentId },
    body: { status: 'identified', message: 'Found it' },
  }),
  fileSupportRequest: () => ({ body: sampleSupportRequest() }),
  listSupportRequests: () => ({ query: { status: 'new' } }),
  getSupportRequest: (f) => ({ params: { id: f.requestId } }),
  listSupportComments: (f) => ({ params: { id: f.requestId } }),
  addSupportComment: (f) => ({ params: { id: f.requestId }, body: { text: 'Any news?' } }),
  listAudit: () => ({ query: { limit: '5' } }),
  listTenants: () => ({ query: { status: 'active' } }),
  getTenant: () => ({ params: { id: TENANT_A } }),
  createTenant: () => ({
    body: {
      tenantId: `44444444-4444-4444-8444-${String(++tenantCounter).padStart(12, '0')}`,
      displayName: 'Contoso',
      plan: 'full',
      licences: 50,
      adminContactEmail: 'it@contoso.example',
      timeZone: 'Europe/Amsterdam',
    },
  }),
  updateTenant: () => ({ params: { id: TENANT_A }, body: { licences: 120 } }),
  listAllSupportRequests: () => ({ query: { open: 'true' } }),
  listOperatorSupportComments: (f) => ({ params: { id: f.requestId } }),
  respondToSupportRequest: (f) => ({ params: { id: f.requestId }, body: { message: 'We are on it.' } }),
  getLicences: () => ({}),
  enableUserProtection: () => ({ body: { userIds: ['alice'] } }),
  disableUserProtection: () => ({ body: { userIds: ['nobody'] } }),
  listNotifications: () => ({ query: { limit: '10' } }),
  markNotificationRead: (f) => ({ params: { id: f.notificationId } }),
  updateAutoProtect: () => ({ body: { mailbox: true } }),
  startDiscovery: () => ({}),
  createConsentLink: () => ({ params: { id: TENANT_A } }),
  // Collaboration (shared/api/endpoints/collaboration.ts)
  listCollaboration: () => ({ query: { kind: 'site', limit: '10' } }),
  enableCollaborationProtection: (f) => ({ body: { resourceIds: [f.siteId, f.groupId] } }),
  disableCollaborationProtection: (f) => ({ body: { resourceIds: [f.groupId] } }),
  // Restores, exports and imports (issue 7).
  requestRestore: (f) => ({ body: sampleRestoreRequest(f.snapshotId) }),
  verifyRestore: (f) => ({ params: { id: f.restoreId }, body: { code: f.restoreCode } }),
  listRestores: () => ({ query: { state: 'awaiting-verification', limit: '10' } }),
  getRestore: (f) => ({ params: { id: f.restoreId } }),
  cancelRestore: (f) => ({ params: { id: f.cancelRestoreId } }),
  requestExport: (f) => ({ body: { snapshotId: f.snapshotId, scope: { kind: 'all' } } }),
  listExports: () => ({ query: { state: 'completed', limit: '10' } }),
  getExport: (f) => ({ params: { id: f.exportId } }),
  createImportUpload: () => ({}),
  requestImport: (f) => ({ body: { uploadId: f.uploadId } }),
  // Issue 6: general protection, settings, mark all read.
  setProtection: (f) => ({ body: { resourceIds: [f.resourceId, f.groupId], enabled: true } }),
  getSettings: () => ({}),
  replaceSettings: () => ({ body: sampleSettings() }),
  markAllNotificationsRead: () => ({ query: { severity: 'blue' } }),
};

/** Tenant settings as seeded (harness.seedTenant), so the generated tests leave them as they were. */
export function sampleSettings(overrides: Record<string, unknown> = {}) {
  return {
    autoProtect: { mailbox: false, onedrive: false, site: false, group: false },
    adminContactEmail: 'admin@example.com',
    timeZone: 'Europe/Amsterdam',
    ...overrides,
  };
}

/** The same request with tenant B's ids where the endpoint takes a tenant-scoped id (else undefined). */
export function foreignIds(operationId: string, f: ApiFixture): Record<string, string> | undefined {
  switch (operationId) {
    case 'getResource':
    case 'startResourceSnapshot':
    case 'listResourceSnapshots':
      return { id: f.resourceId };
    case 'getSnapshot':
    case 'listSnapshotItems':
      return { id: f.snapshotId };
    case 'getSnapshotItem':
    case 'downloadSnapshotItem':
      return { id: f.snapshotId, itemId: f.itemId };
    case 'markNotificationRead':
      return { id: f.notificationId };
    case 'enableUserProtection':
      return {}; // tenant A's user in the body: not found for tenant B
    case 'enableCollaborationProtection':
    case 'disableCollaborationProtection':
      return {}; // tenant A's site and group in the body: not found for tenant B
    // Restores, exports and imports (issue 7): tenant A's ids in the path, or in the body.
    case 'verifyRestore':
    case 'getRestore':
      return { id: f.restoreId };
    case 'cancelRestore':
      return { id: f.cancelRestoreId };
    case 'getExport':
      return { id: f.exportId };
    case 'requestRestore':
    case 'requestExport':
    case 'requestImport':
      return {};
    case 'setProtection':
      return {}; // tenant A's mailbox and group in the body: not found for tenant B
    case 'getSupportRequest':
    case 'listSupportComments':
    case 'addSupportComment':
      return { id: f.requestId };
    default:
      return undefined;
  }
}
