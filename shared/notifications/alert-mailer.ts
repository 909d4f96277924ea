import type { TenantGraph } from '../graph/graph-client';
import type { Tenant } from '../tenants/tenant';
import type { Notification } from './notification';

export interface AlertMailer {
  send(tenant: Tenant, alert: Notification): Promise<void>;
}

/** Mails alerts from the provider's service mailbox through Graph `sendMail`. */
export class GraphAlertMailer implements AlertMailer {
  constructor(
    /** Graph for the provider's tenant (where the service mailbox lives). */
    private readonly graph: TenantGraph,
    /** The service mailbox: user id or UPN. */
    private readonly sender: string,
  ) {}

  async send(tenant: Tenant, alert: Notification): Promise<void> {
    await this.graph.post(
      `/users/${encodeURIComponent(this.sender)}/sendMail`,
      {
        message: {
          subject: `[M365 Backup] Critical: ${alert.message.slice(0, 120)}`,
          body: {
            contentType: 'Text',
            content:
              `${tenant.displayName}: ${alert.message}\n\n` +
              `Raised ${alert.createdAt}. Open the backup portal's notifications for details; ` +
              `this alert resolves by itself when the condition clears.`,
          },
          toRecipients: [{ emailAddress: { address: tenant.adminContactEmail } }],
        },
        saveToSentItems: false,
      },
      { what: 'send an alert mail' },
    );
  }
}
