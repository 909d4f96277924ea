/** The bell: red = critical, needs action; yellow = actionable; blue = information; green = all good. */
export const severities = ['red', 'yellow', 'blue', 'green'] as const;
export type Severity = (typeof severities)[number];

/** What an alert is about; with the resource it names the condition that is open at most once. */
export type NotificationCategory =
  | 'resource-gone'
  | 'snapshot-failing'
  | 'snapshot-stale'
  | 'snapshot-warnings'
  | 'licences-exhausted'
  | 'available-to-add'
  | 'protection-added'
  | 'condition-cleared'
  | 'restore-finished'
  | 'restore-failed'
  | 'restore-lockout';

export interface Notification {
  notificationId: string;
  tenantId: string;
  severity: Severity;
  category: NotificationCategory;
  /** The resource it is about (`<kind>:<graph id>`), if any. */
  resourceId?: string;
  message: string;
  createdAt: string;
  read: boolean;
  /** Alerts (red/yellow conditions) resolve when the condition clears; information does not. */
  resolved: boolean;
  resolvedAt?: string;
}

/** An alert: a condition on a resource (or the tenant) that is open until it clears. */
export interface AlertInput {
  tenantId: string;
  severity: 'red' | 'yellow';
  category: NotificationCategory;
  resourceId?: string;
  message: string;
}

export interface InformationInput {
  tenantId: string;
  severity: 'blue' | 'green';
  category: NotificationCategory;
  resourceId?: string;
  message: string;
}
