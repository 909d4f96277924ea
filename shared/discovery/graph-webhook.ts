import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { AuditRecord } from '../audit/audit-log';
import type { Logger } from '../observability/logger';
import { QueueNames, type JobQueue } from '../queues/job-queues';
import type { Clock } from '../time/clock';
import type { DiscoveryJob, DiscoveryService, LifecycleEvent } from './discovery-service';
import type { SubscriptionStore } from './subscription-store';

export interface WebhookDependencies {
  subscriptions: Pick<SubscriptionStore, 'get'>;
  discovery: Pick<DiscoveryService, 'requestPass'>;
  queue: JobQueue;
  audit: { write(record: Omit<AuditRecord, 'auditId' | 'tenantId'>, tenantIds: string[]): Promise<void> };
  /** Trail for rejected notifications that name no known subscription (the provider's). */
  providerAuditTenantId: string;
  clock: Clock;
  log: Logger;
}

export interface WebhookRequest {
  /** `validationToken` from the query string, already URL-decoded; null when absent. */
  validationToken: string | null;
  body: string;
  /** Caller's address, for the audit record. */
  address: string;
}

export interface WebhookAnswer {
  status: number;
  contentType?: string;
  body?: string;
}

const lifecycleEvents = ['reauthorizationRequired', 'subscriptionRemoved', 'missed'] as const;

const notificationSchema = z.object({
  subscriptionId: z.string().min(1).max(200),
  clientState: z.string().max(255).optional().nullable(),
  tenantId: z.string().max(100).optional(),
  changeType: z.string().max(100).optional(),
  resource: z.string().max(2000).optional(),
  lifecycleEvent: z.string().max(100).optional(),
});
const bodySchema = z.object({ value: z.array(notificationSchema).min(1).max(1000) });

/**
 * Graph's change and lifecycle notifications. The handshake is echoed without I/O; a notification
 * is acted on only when its subscription is ours and its clientState matches (constant time);
 * others are audited and ignored. The work is queued, so Graph gets its 202 well within 3 s.
 */
export async function handleGraphNotification(
  deps: WebhookDependencies,
  request: WebhookRequest,
): Promise<WebhookAnswer> {
  if (request.validationToken !== null) {
    return { status: 200, contentType: 'text/plain', body: request.validationToken };
  }
  let parsed: z.infer<typeof bodySchema>;
  try {
    const result = bodySchema.safeParse(JSON.parse(request.body));
    if (!result.success) return badRequest('the body is not a Graph notification collection');
    parsed = result.data;
  } catch {
    return badRequest('the body is not JSON');
  }
  const tenantsToScan = new Set<string>();
  const lifecycle: DiscoveryJob[] = [];
  // One batch usually names one or two subscriptions: look each up once.
  const records = new Map<string, ReturnType<WebhookDependencies['subscriptions']['get']>>();
  for (const item of parsed.value) {
    let lookup = records.get(item.subscriptionId);
    if (!lookup) {
      lookup = deps.subscriptions.get(item.subscriptionId);
      records.set(item.subscriptionId, lookup);
    }
    const record = await lookup;
    const matches =
      record !== undefined &&
      sameSecret(record.clientState, item.clientState ?? '') &&
      (item.tenantId === undefined || item.tenantId === record.tenantId);
    if (!record || !matches) {
      await rejected(deps, request, item.subscriptionId, record?.tenantId);
      continue;
    }
    if (item.lifecycleEvent !== undefined) {
      if (!(lifecycleEvents as readonly string[]).includes(item.lifecycleEvent)) {
        deps.log.warn('unknown lifecycle event ignored', { event: item.lifecycleEvent });
        continue;
      }
      lifecycle.push({
        kind: 'lifecycle',
        tenantId: record.tenantId,
        subscriptionId: record.subscriptionId,
        event: item.lifecycleEvent as LifecycleEvent,
      });
    } else {
      tenantsToScan.add(record.tenantId);
    }
  }
  for (const tenantId of tenantsToScan) await deps.discovery.requestPass(tenantId, 'incremental');
  for (const job of lifecycle) await deps.queue.send(QueueNames.discoveryJobs, job);
  return { status: 202 };
}

function badRequest(detail: string): WebhookAnswer {
  return {
    status: 400,
    contentType: 'application/problem+json',
    body: JSON.stringify({ type: 'about:blank', title: 'Bad Request', status: 400, detail }),
  };
}

/** Constant time whatever the lengths: compares digests. */
function sameSecret(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

async function rejected(
  deps: WebhookDependencies,
  request: WebhookRequest,
  subscriptionId: string,
  tenantId: string | undefined,
): Promise<void> {
  deps.log.warn('change notification rejected: unknown subscription or clientState mismatch', {
    subscriptionId,
    ...(tenantId ? { tenantId } : {}),
  });
  await deps.audit.write(
    {
      at: deps.clock.now().toISOString(),
      actor: {
        tenantId: tenantId ?? 'unknown',
        userId: 'graph-webhook',
        userName: 'change notification sender',
      },
      address: request.address,
      action: 'graph.notification.rejected',
      target: subscriptionId,
      outcome: 'denied',
      status: 202,
      details: { reason: tenantId ? 'clientState mismatch' : 'unknown subscription' },
    },
    [tenantId ?? deps.providerAuditTenantId],
  );
}
