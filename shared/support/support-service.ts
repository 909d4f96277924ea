import { AppError } from '../errors/app-error';
import type { Tenant } from '../tenants/tenant';
import type { Clock } from '../time/clock';
import { addBusinessMinutes, businessDayMinutes, type BusinessCalendar } from './business-calendar';
import {
  checkSeverity,
  initialResponseDue,
  isOpen,
  lowerSeverity,
  type ContactMethod,
  type Severity,
  type SupportCategory,
  type SupportComment,
  type SupportRequest,
  type SupportStatus,
} from './support-request';
import type { SupportStore } from './support-store';

/**
 * Where a missed initial response target is announced to the provider's operators. The red
 * operator notification belongs to the notifications module (issue 5); until it exists the
 * default implementation logs, and the operator list shows the request's SLA state as `missed`.
 */
export interface OperatorAlerts {
  initialResponseMissed(request: SupportRequest): Promise<void>;
}

export interface SupportDependencies {
  store: SupportStore;
  calendar: BusinessCalendar;
  clock: Clock;
  alerts: OperatorAlerts;
  /** A tenant's record (for its time zone), for timer work across tenants. */
  tenant(tenantId: string): Promise<Tenant>;
}

export interface NewSupportRequest {
  category: SupportCategory;
  severity: Severity;
  title: string;
  description: string;
  contact: { email: string; phone: string; preferredMethod: ContactMethod };
}

export interface Person {
  userId: string;
  userName: string;
}

/** Business days a request may wait for the customer before its severity drops one level. */
export const AWAITING_CUSTOMER_BUSINESS_DAYS = 3;

export class SupportService {
  constructor(private readonly deps: SupportDependencies) {}

  async file(tenant: Tenant, by: Person, input: NewSupportRequest): Promise<SupportRequest> {
    checkSeverity(tenant, input.category, input.severity);
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const request: SupportRequest = {
      requestId: this.deps.store.newRequestId(tenant.tenantId, now),
      tenantId: tenant.tenantId,
      category: input.category,
      severity: input.severity,
      filedSeverity: input.severity,
      title: input.title,
      description: input.description,
      contact: input.contact,
      status: 'new',
      filedAt: at,
      filedBy: by,
      initialResponseDueAt: initialResponseDue(
        now,
        input.severity,
        this.deps.calendar,
        tenant.timeZone,
      ).toISOString(),
      firstResponseAt: null,
      initialResponseMissedAt: null,
      awaitingCustomerSince: null,
      updatedAt: at,
      history: [{ at, by: by.userName, event: 'filed', to: input.severity }],
    };
    await this.deps.store.create(request);
    return request;
  }

  /** A customer's comment; an answer while the request awaits the customer puts it back in progress. */
  async commentAsCustomer(
    tenantId: string,
    requestId: string,
    by: Person,
    text: string,
  ): Promise<SupportComment> {
    const { request } = await this.deps.store.get(tenantId, requestId);
    if (request.status === 'closed') throw new AppError('conflict', 'This request is closed.');
    const at = this.deps.clock.now().toISOString();
    const comment = await this.deps.store.addComment(tenantId, requestId, {
      at,
      author: { ...by, role: 'customer' },
      text,
    });
    await this.deps.store.update(tenantId, requestId, (r) => {
      r.history.push({ at, by: by.userName, event: 'comment' });
      if (r.status === 'awaiting-customer') {
        r.history.push({ at, by: by.userName, event: 'status', from: r.status, to: 'in-progress' });
        r.status = 'in-progress';
        r.awaitingCustomerSince = null;
      }
      r.updatedAt = at;
      return r;
    });
    return comment;
  }

  /**
   * An operator's response (a message to the customer) and/or status change. The first message
   * is the initial response the target measures.
   */
  async respondAsOperator(
    requestId: string,
    by: Person,
    change: { message?: string; status?: SupportStatus },
  ): Promise<SupportRequest> {
    const { request } = await this.deps.store.get(undefined, requestId);
    if (request.status === 'closed') throw new AppError('conflict', 'This request is closed.');
    const at = this.deps.clock.now().toISOString();
    if (change.message) {
      await this.deps.store.addComment(request.tenantId, requestId, {
        at,
        author: { ...by, role: 'operator' },
        text: change.message,
      });
    }
    return this.deps.store.update(undefined, requestId, (r) => {
      if (r.status === 'closed') throw new AppError('conflict', 'This request is closed.');
      if (change.message) {
        r.history.push({ at, by: by.userName, event: 'response' });
        r.firstResponseAt ??= at;
        if (r.status === 'new' && !change.status) {
          r.history.push({ at, by: by.userName, event: 'status', from: 'new', to: 'in-progress' });
          r.status = 'in-progress';
        }
      }
      if (change.status && change.status !== r.status) {
        r.history.push({ at, by: by.userName, event: 'status', from: r.status, to: change.status });
        r.status = change.status;
        r.awaitingCustomerSince = change.status === 'awaiting-customer' ? at : null;
      }
      r.updatedAt = at;
      return r;
    });
  }

  /**
   * Timer work: a request awaiting the customer for 3 business days drops one severity level
   * (and the wait starts again); an unanswered request past its initial response target is
   * flagged once and announced to operators.
   */
  async runTimers(): Promise<{ downgraded: number; missed: number }> {
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const tenants = new Map<string, Promise<Tenant>>();
    const tenantOf = (id: string) => {
      let t = tenants.get(id);
      if (!t) tenants.set(id, (t = this.deps.tenant(id)));
      return t;
    };
    let downgraded = 0;
    let missed = 0;
    for await (const request of this.deps.store.listOpen()) {
      if (
        request.status === 'awaiting-customer' &&
        request.awaitingCustomerSince &&
        lowerSeverity(request.severity)
      ) {
        const timeZone = (await tenantOf(request.tenantId).catch(() => undefined))?.timeZone ?? 'UTC';
        const due = addBusinessMinutes(
          new Date(request.awaitingCustomerSince),
          AWAITING_CUSTOMER_BUSINESS_DAYS * businessDayMinutes(this.deps.calendar),
          this.deps.calendar,
          timeZone,
        );
        if (due <= now) {
          await this.deps.store.update(undefined, request.requestId, (r) => {
            const lower = lowerSeverity(r.severity);
            if (
              r.status !== 'awaiting-customer' ||
              !lower ||
              r.awaitingCustomerSince !== request.awaitingCustomerSince
            ) {
              return undefined;
            }
            r.history.push({
              at,
              by: 'system',
              event: 'severity',
              from: r.severity,
              to: lower,
              note: `awaiting the customer for ${AWAITING_CUSTOMER_BUSINESS_DAYS} business days`,
            });
            r.severity = lower;
            r.awaitingCustomerSince = at;
            r.updatedAt = at;
            return r;
          });
          downgraded++;
        }
      }
      if (!request.firstResponseAt && !request.initialResponseMissedAt && request.initialResponseDueAt < at) {
        const flagged = await this.deps.store.update(undefined, request.requestId, (r) => {
          if (r.firstResponseAt || r.initialResponseMissedAt) return undefined;
          r.initialResponseMissedAt = at;
          return r;
        });
        if (flagged.initialResponseMissedAt === at) {
          await this.deps.alerts.initialResponseMissed(flagged);
          missed++;
        }
      }
    }
    return { downgraded, missed };
  }
}

export { isOpen };
