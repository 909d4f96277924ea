import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { Semaphore } from '../concurrency/semaphore';

/** Outlook runs at most 4 concurrent requests per app and mailbox; more only earns 429s. */
export const OUTLOOK_CONCURRENCY_PER_MAILBOX = 4;

const mailboxPath =
  /\/users\/([^/?]+)\/(messages|mailfolders|mailboxsettings|sendmail|events|contacts|calendar|outlook)/i;

/** The mailbox (user id or UPN) a request is addressed to, if it is an Outlook request. */
export function mailboxOf(url: string): string | undefined {
  const match = mailboxPath.exec(decodeURIComponent(url.split('?')[0] ?? url));
  return match?.[1]?.toLowerCase();
}

export class MailboxConcurrencyMiddleware implements Middleware {
  private next: Middleware | undefined;
  private readonly semaphores = new Map<string, Semaphore>();

  constructor(private readonly perMailbox = OUTLOOK_CONCURRENCY_PER_MAILBOX) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    if (!this.next) throw new Error('MailboxConcurrencyMiddleware needs a next middleware');
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const mailbox = mailboxOf(url);
    if (!mailbox) return this.next.execute(context);
    let semaphore = this.semaphores.get(mailbox);
    if (!semaphore) {
      semaphore = new Semaphore(this.perMailbox);
      this.semaphores.set(mailbox, semaphore);
    }
    const release = await semaphore.acquire();
    try {
      await this.next.execute(context);
    } finally {
      release();
    }
  }

  /** Requests currently in flight for a mailbox (for tests and diagnostics). */
  inFlight(mailbox: string): number {
    return this.semaphores.get(mailbox.toLowerCase())?.inUse ?? 0;
  }
}
