import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { AppError } from '../errors/app-error';
import type { TenantGraph } from '../graph/graph-client';
import { TableNames, isStatus, type Tables } from '../storage/tables';
import type { Clock } from '../time/clock';

export const CODE_LIFETIME_MS = 10 * 60 * 1000;
export const MAX_WRONG_CODES = 5;

/** What a code protects, e.g. `{ kind: 'restore', id: <job id> }`. */
export interface VerificationSubject {
  kind: 'restore' | 'import';
  id: string;
}

interface CodeEntity {
  partitionKey: string;
  rowKey: string;
  /** HMAC-SHA256 of the code under a per-code random salt; the code itself is never stored. */
  hash: string;
  salt: string;
  expiresAt: string;
  wrongAttempts: number;
  usedAt?: string;
  sentTo: string;
}

/** Mails the code (Graph sendMail from the provider's service mailbox in the app). */
export interface CodeMailer {
  sendCode(to: string, code: string, what: string): Promise<void>;
}

export interface IssuedCode {
  /** The masked address the code went to, e.g. `a***n@c***.com`. */
  sentTo: string;
  expiresAt: string;
}

export type VerifyResult =
  | { kind: 'verified' }
  | { kind: 'wrong'; attemptsLeft: number }
  /** The fifth wrong code: the caller cancels what the code protected, alerts and audits. */
  | { kind: 'locked-out' };

/** `anna.kowalska@contoso.com` → `a***a@c***o.com`. */
export function maskEmail(address: string): string {
  const [local = '', domain = ''] = address.split('@');
  const mask = (s: string) => (s.length <= 2 ? `${s[0] ?? ''}***` : `${s[0]}***${s[s.length - 1]}`);
  const dot = domain.lastIndexOf('.');
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${mask(local)}@${mask(host)}${tld}`;
}

function hashOf(code: string, salt: string): Buffer {
  return createHmac('sha256', Buffer.from(salt, 'base64')).update(code, 'utf8').digest();
}

/**
 * One-time verification codes for operations that overwrite live data: 6 digits, mailed to the
 * tenant's registered admin contact, stored hashed, valid 10 minutes, usable once; the fifth wrong
 * code locks the subject out.
 */
export class VerificationCodes {
  constructor(
    private readonly tables: Tables,
    private readonly mailer: CodeMailer,
    private readonly clock: Clock,
  ) {}

  private table(): Promise<TableClient> {
    return this.tables.client(TableNames.verificationCodes);
  }

  private static rowKey(subject: VerificationSubject): string {
    return `${subject.kind}|${subject.id}`;
  }

  /** A new code for the subject (replacing an earlier one), mailed to `to`. */
  async issue(tenantId: string, subject: VerificationSubject, to: string, what: string): Promise<IssuedCode> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const salt = randomBytes(16).toString('base64');
    const expiresAt = new Date(this.clock.now().getTime() + CODE_LIFETIME_MS).toISOString();
    const sentTo = maskEmail(to);
    const entity: CodeEntity = {
      partitionKey: tenantId,
      rowKey: VerificationCodes.rowKey(subject),
      hash: hashOf(code, salt).toString('base64'),
      salt,
      expiresAt,
      wrongAttempts: 0,
      sentTo,
    };
    const table = await this.table();
    await table.upsertEntity(entity, 'Replace');
    await this.mailer.sendCode(to, code, what);
    return { sentTo, expiresAt };
  }

  /**
   * Checks a code. Expired → `gone`; already used → `conflict`; no code → `not-found`. A wrong
   * code counts; the fifth one answers `locked-out` and the code is void.
   */
  async verify(tenantId: string, subject: VerificationSubject, code: string): Promise<VerifyResult> {
    const table = await this.table();
    let entity: CodeEntity;
    try {
      entity = await table.getEntity<CodeEntity>(tenantId, VerificationCodes.rowKey(subject));
    } catch (error) {
      if (isStatus(error, 404)) throw new AppError('not-found', 'no verification code was issued for this');
      throw error;
    }
    if (entity.usedAt) throw new AppError('conflict', 'this verification code was already used');
    if (entity.wrongAttempts >= MAX_WRONG_CODES) {
      throw new AppError('conflict', 'too many wrong codes: this operation was cancelled');
    }
    if (this.clock.now().getTime() >= Date.parse(entity.expiresAt)) {
      throw new AppError('gone', 'the verification code has expired: request a new one');
    }
    const given = hashOf(code.trim(), entity.salt);
    const expected = Buffer.from(entity.hash, 'base64');
    if (/^\d{6}$/.test(code.trim()) && given.length === expected.length && timingSafeEqual(given, expected)) {
      // Single use: the ETag makes a concurrent second use of the same code fail.
      await table.updateEntity({ ...entity, usedAt: this.clock.now().toISOString() }, 'Replace', {
        etag: (entity as unknown as { etag: string }).etag,
      });
      return { kind: 'verified' };
    }
    const wrongAttempts = entity.wrongAttempts + 1;
    await table.updateEntity({ ...entity, wrongAttempts }, 'Replace');
    if (wrongAttempts >= MAX_WRONG_CODES) return { kind: 'locked-out' };
    return { kind: 'wrong', attemptsLeft: MAX_WRONG_CODES - wrongAttempts };
  }
}

/** Sends codes from the provider's service mailbox through Graph `sendMail`. */
export class GraphCodeMailer implements CodeMailer {
  constructor(
    /** Graph for the provider's tenant, where the service mailbox lives. */
    private readonly graph: TenantGraph,
    /** The service mailbox: user id or UPN. */
    private readonly sender: string,
  ) {}

  async sendCode(to: string, code: string, what: string): Promise<void> {
    await this.graph.post(
      `/users/${encodeURIComponent(this.sender)}/sendMail`,
      {
        message: {
          subject: `[M365 Backup] Verification code ${code}`,
          body: {
            contentType: 'Text',
            content:
              `Your verification code is ${code}. It is valid for 10 minutes and can be used once.\n\n` +
              `It confirms: ${what}. This overwrites live data in Microsoft 365 and cannot be undone. ` +
              `If you did not request it, do not share the code and tell your backup provider.`,
          },
          toRecipients: [{ emailAddress: { address: to } }],
        },
        saveToSentItems: false,
      },
      { what: 'send a verification code' },
    );
  }
}
