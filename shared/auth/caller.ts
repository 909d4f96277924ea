import { AppError } from '../errors/app-error';
import type { Tenant } from '../tenants/tenant';
import type { VerifiedToken } from './token-verifier';

export const Roles = {
  reader: 'Backup.Reader',
  admin: 'Backup.Admin',
  operator: 'Backup.Operator',
} as const;

/**
 * Who may call an endpoint:
 * - `public`: anyone, no token;
 * - `signed-in`: a reader or admin of an onboarded tenant, or an operator;
 * - `reader`: Backup.Reader or Backup.Admin of an onboarded tenant (sees its own data);
 * - `admin`: Backup.Admin of an onboarded tenant (changes, starts, restores, exports, files requests);
 * - `operator`: Backup.Operator of the provider's own tenant (all tenants).
 */
export type Access = 'public' | 'signed-in' | 'reader' | 'admin' | 'operator';

/** An authenticated caller, with what they may do. */
export interface Caller {
  tenantId: string;
  userId: string;
  userName: string;
  roles: string[];
  /** The onboarded tenant whose data this caller sees (absent for the provider's operators). */
  customerTenant?: Tenant;
  isOperator: boolean;
  isAdmin: boolean;
  isReader: boolean;
}

/** Looks up onboarded tenants (cached by the caller of this module). */
export interface TenantDirectory {
  find(tenantId: string): Promise<Tenant | undefined>;
}

/**
 * Turns a verified token into a caller. A token whose tenant is neither an onboarded (not
 * offboarded) tenant nor the provider's, or that carries none of our roles, is forbidden.
 */
export async function resolveCaller(
  token: VerifiedToken,
  directory: TenantDirectory,
  providerTenantId: string | undefined,
): Promise<Caller> {
  const isProvider = providerTenantId !== undefined && token.tenantId === providerTenantId.toLowerCase();
  const tenant = await directory.find(token.tenantId);
  const customerTenant = tenant && tenant.status !== 'offboarded' ? tenant : undefined;
  const isOperator = isProvider && token.roles.includes(Roles.operator);
  const isAdmin = customerTenant !== undefined && token.roles.includes(Roles.admin);
  const isReader = customerTenant !== undefined && (isAdmin || token.roles.includes(Roles.reader));
  if (!isOperator && !isReader) {
    throw new AppError(
      'forbidden',
      customerTenant || isProvider
        ? 'Your account has no role in this service (Backup.Reader, Backup.Admin or Backup.Operator).'
        : 'Your organisation is not a customer of this service.',
    );
  }
  return {
    tenantId: token.tenantId,
    userId: token.userId,
    userName: token.userName,
    roles: token.roles,
    ...(customerTenant ? { customerTenant } : {}),
    isOperator,
    isAdmin,
    isReader,
  };
}

export function authorize(caller: Caller, access: Access): void {
  const allowed =
    access === 'public' ||
    (access === 'signed-in' && (caller.isReader || caller.isOperator)) ||
    (access === 'reader' && caller.isReader) ||
    (access === 'admin' && caller.isAdmin) ||
    (access === 'operator' && caller.isOperator);
  if (!allowed) {
    const need =
      access === 'admin'
        ? 'the Backup.Admin role'
        : access === 'operator'
          ? "the provider's Backup.Operator role"
          : 'the Backup.Reader or Backup.Admin role of a customer tenant';
    throw new AppError('forbidden', `This needs ${need}.`);
  }
}

/** The customer tenant of a caller that passed `reader`/`admin` authorisation. */
export function customerTenantOf(caller: Caller): Tenant {
  if (!caller.customerTenant) throw new AppError('forbidden', 'This needs a customer tenant.');
  return caller.customerTenant;
}
