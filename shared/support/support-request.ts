import { AppError } from '../errors/app-error';
import type { Tenant } from '../tenants/tenant';
import { addBusinessMinutes, businessDayMinutes, type BusinessCalendar } from './business-calendar';

export const supportCategories = ['technical', 'billing'] as const;
export type SupportCategory = (typeof supportCategories)[number];
export const severities = ['A', 'B', 'C'] as const;
export type Severity = (typeof severities)[number];
export const supportStatuses = ['new', 'in-progress', 'awaiting-customer', 'resolved', 'closed'] as const;
export type SupportStatus = (typeof supportStatuses)[number];
export const contactMethods = ['email', 'phone'] as const;
export type ContactMethod = (typeof contactMethods)[number];
/** Initial response: not yet due, answered in time, or late (answered late or still unanswered past due). */
export type SlaState = 'pending' | 'met' | 'missed';

export interface SupportHistoryEntry {
  at: string;
  /** A user's name, or `system` for automatic changes. */
  by: string;
  event: 'filed' | 'status' | 'severity' | 'response' | 'comment';
  from?: string;
  to?: string;
  note?: string;
}

export interface SupportRequest {
  requestId: string;
  tenantId: string;
  category: SupportCategory;
  /** Current severity (it drops while the customer does not answer). */
  severity: Severity;
  filedSeverity: Severity;
  title: string;
  description: string;
  contact: { email: string; phone: string; preferredMethod: ContactMethod };
  status: SupportStatus;
  filedAt: string;
  filedBy: { userId: string; userName: string };
  initialResponseDueAt: string;
  firstResponseAt: string | null;
  /** Set once when the initial response target passes unanswered (operators are alerted). */
  initialResponseMissedAt: string | null;
  awaitingCustomerSince: string | null;
  updatedAt: string;
  history: SupportHistoryEntry[];
}

export interface SupportComment {
  commentId: string;
  at: string;
  author: { userId: string; userName: string; role: 'customer' | 'operator' };
  text: string;
}

/** Severity A needs a premium support contract; billing requests are at most B. */
export function checkSeverity(tenant: Tenant, category: SupportCategory, severity: Severity): void {
  if (severity !== 'A') return;
  if (category === 'billing') {
    throw new AppError('invalid', 'Billing requests are at most severity B.', {
      details: [{ field: 'body.severity', message: 'billing requests are at most severity B' }],
    });
  }
  if (!tenant.premiumSupport) {
    throw new AppError('invalid', 'Severity A needs a premium support contract.', {
      details: [{ field: 'body.severity', message: 'severity A needs a premium support contract' }],
    });
  }
}

/** A: 1 hour around the clock; B: 1 business day; C: 3 business days (in the tenant's time zone). */
export function initialResponseDue(
  filedAt: Date,
  severity: Severity,
  calendar: BusinessCalendar,
  timeZone: string,
): Date {
  if (severity === 'A') return new Date(filedAt.getTime() + 3600_000);
  const days = severity === 'B' ? 1 : 3;
  return addBusinessMinutes(filedAt, days * businessDayMinutes(calendar), calendar, timeZone);
}

export function slaStateOf(request: SupportRequest, now: Date): SlaState {
  if (request.firstResponseAt) {
    return request.firstResponseAt <= request.initialResponseDueAt ? 'met' : 'missed';
  }
  return now.toISOString() > request.initialResponseDueAt ? 'missed' : 'pending';
}

export function lowerSeverity(severity: Severity): Severity | undefined {
  return severity === 'A' ? 'B' : severity === 'B' ? 'C' : undefined;
}

export function isOpen(status: SupportStatus): boolean {
  return status === 'new' || status === 'in-progress' || status === 'awaiting-customer';
}
