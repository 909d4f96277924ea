import type { Endpoint } from '../endpoint';
import { auditEndpoints } from './audit';
import { collaborationEndpoints } from './collaboration';
import { dashboardEndpoints } from './dashboard';
import { exportEndpoints } from './exports';
import { importEndpoints } from './imports';
import { meEndpoints } from './me';
import { operatorEndpoints } from './operator';
import { protectionEndpoints } from './protection';
import { resourceEndpoints } from './resources';
import { restoreEndpoints } from './restores';
import { serviceHealthEndpoints } from './service-health';
import { settingsEndpoints } from './settings';
import { snapshotEndpoints } from './snapshots';
import { supportEndpoints } from './support';

/**
 * Every portal API endpoint, grouped as the function files register them. The OpenAPI document,
 * the authorisation matrix and the validation tests are generated from this registry.
 */
export const portalEndpointGroups = {
  me: meEndpoints,
  dashboard: dashboardEndpoints,
  resources: [...resourceEndpoints, ...snapshotEndpoints],
  serviceHealth: serviceHealthEndpoints,
  support: supportEndpoints,
  audit: auditEndpoints,
  operator: operatorEndpoints,
  protection: protectionEndpoints,
  collaboration: collaborationEndpoints,
  // The tenant's settings (issue 6).
  settings: settingsEndpoints,
  // Restores, exports and imports (issue 7).
  restores: restoreEndpoints,
  exports: exportEndpoints,
  imports: importEndpoints,
} satisfies Record<string, Endpoint[]>;

export const portalEndpoints: Endpoint[] = Object.values(portalEndpointGroups).flat();
