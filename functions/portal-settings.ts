import { portalEndpointGroups } from '../shared/api/endpoints';
import { registerEndpoints } from '../shared/api/http-adapter';
import { services } from '../shared/runtime/services';

/** Portal API: the tenant's settings (declared in shared/api/endpoints/settings.ts). */
registerEndpoints(portalEndpointGroups.settings, () => services.api);
