import { z } from 'zod';
import { customerTenantOf } from '../../auth/caller';
import type { Tenant } from '../../tenants/tenant';
import { defineEndpoint } from '../endpoint';
import { ianaTimeZone } from '../schemas';

const autoProtect = z
  .strictObject({
    mailbox: z.boolean({ error: 'expected true or false' }),
    onedrive: z.boolean({ error: 'expected true or false' }),
    site: z.boolean({ error: 'expected true or false' }),
    group: z.boolean({ error: 'expected true or false' }),
  })
  .describe(
    'per kind: protect automatically when discovered (true) or only report it as available to add (false)',
  );

const ADMIN_CONTACT =
  "The tenant's registered admin contact: the one-time verification codes for restores and imports, and red (critical) alerts, are mailed to this address.";

const settings = z.strictObject({
  autoProtect,
  adminContactEmail: z
    .email({ error: 'expected an email address' })
    .max(254, 'at most 254 characters')
    .describe(ADMIN_CONTACT),
  timeZone: ianaTimeZone.describe(
    'IANA time zone (e.g. Europe/Amsterdam): business days of support response targets are counted in it',
  ),
});

function settingsOf(tenant: Tenant): z.input<typeof settings> {
  return {
    autoProtect: tenant.autoProtect,
    adminContactEmail: tenant.adminContactEmail,
    timeZone: tenant.timeZone,
  };
}

/** A tenant's own settings (issue 6): auto-protect per kind, admin contact, time zone. */
export const settingsEndpoints = [
  defineEndpoint({
    operationId: 'getSettings',
    method: 'GET',
    route: 'v1/settings',
    summary: "The tenant's settings: auto-protect per kind, admin contact, time zone",
    description: ADMIN_CONTACT,
    tag: 'settings',
    access: 'reader',
    response: { status: 200, description: 'The settings.', schema: settings },
    handler: async ({ caller, deps }) => ({
      body: settingsOf(await deps.tenants.get(customerTenantOf(caller).tenantId)),
    }),
  }),
  defineEndpoint({
    operationId: 'replaceSettings',
    method: 'PUT',
    route: 'v1/settings',
    summary: "Replace the tenant's settings (every field required)",
    description: `${ADMIN_CONTACT} Changing it changes where the next code or alert goes; the audit record names the old and the new address. Mailboxes and OneDrives protected automatically take a licence per user; without a free licence the admin gets a yellow "licences exhausted" notification instead. A 400 changes nothing. PATCH /v1/settings/auto-protect changes auto-protect alone.`,
    tag: 'settings',
    access: 'admin',
    body: settings,
    audit: { action: 'settings.replace' },
    response: { status: 200, description: 'The settings now.', schema: settings },
    handler: async ({ caller, deps, body, audit }) => {
      const tenantId = customerTenantOf(caller).tenantId;
      const before = await deps.tenants.get(tenantId);
      await deps.tenants.update(tenantId, { ...body, updatedAt: deps.clock.now().toISOString() });
      deps.tenantChanged(tenantId);
      audit.details = {
        oldAdminContactEmail: before.adminContactEmail,
        newAdminContactEmail: body.adminContactEmail,
        oldTimeZone: before.timeZone,
        newTimeZone: body.timeZone,
        ...Object.fromEntries(Object.entries(body.autoProtect).map(([k, v]) => [`autoProtect.${k}`, v])),
      };
      return { body };
    },
  }),
];
