/**
 * The simulator's state: the JSON data, the blob store, the global change sequence and the change
 * listeners. Domain operations (directory, mail, drives) live in their own modules and take this.
 */
import { randomBytes } from 'node:crypto';
import type { Generator } from '../generator/contract';
import { OpaqueTokens } from '../http/opaque-tokens';
import { BlobStore } from './blobs';
import type { ChangeEvent, ChangeListener } from './events';
import type { SimStateData, TenantState, UserRec } from './model';

export class SimState {
  readonly tokens: OpaqueTokens;
  private readonly listeners: ChangeListener[] = [];
  private dirtyListener: (() => void) | undefined;

  constructor(
    readonly data: SimStateData,
    readonly blobs: BlobStore,
    readonly generator: Generator,
    readonly now: () => Date = () => new Date(),
  ) {
    this.tokens = new OpaqueTokens(Buffer.from(data.secret, 'base64'));
  }

  static empty(seed: number): SimStateData {
    return { format: 1, seed, seq: 1, secret: randomBytes(32).toString('base64'), tenants: {}, sentMail: [] };
  }

  get secret(): Buffer {
    return Buffer.from(this.data.secret, 'base64');
  }

  nextSeq(): number {
    this.data.seq += 1;
    this.markDirty();
    return this.data.seq;
  }

  get currentSeq(): number {
    return this.data.seq;
  }

  nowIso(): string {
    return this.now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  emit(event: ChangeEvent): void {
    this.markDirty();
    for (const listener of this.listeners) listener(event);
  }

  onDirty(listener: () => void): void {
    this.dirtyListener = listener;
  }

  markDirty(): void {
    this.dirtyListener?.();
  }

  tenants(): TenantState[] {
    return Object.values(this.data.tenants);
  }

  tenant(tenantId: string): TenantState | undefined {
    return this.data.tenants[tenantId.toLowerCase()];
  }

  /** A tenant by GUID or by one of its domains (`contoso.onmicrosoft.com`). */
  tenantByIdOrDomain(idOrDomain: string): TenantState | undefined {
    const key = idOrDomain.toLowerCase();
    return this.data.tenants[key] ?? this.tenants().find((t) => t.domain.toLowerCase() === key);
  }

  /** A live user by id or userPrincipalName (case-insensitive). */
  user(tenant: TenantState, idOrUpn: string): UserRec | undefined {
    const direct = tenant.users[idOrUpn];
    if (direct) return direct.removed ? undefined : direct;
    const key = idOrUpn.toLowerCase();
    return Object.values(tenant.users).find(
      (u) =>
        !u.removed &&
        (u.id === key || u.userPrincipalName.toLowerCase() === key || u.mail?.toLowerCase() === key),
    );
  }
}
