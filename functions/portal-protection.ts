import { portalEndpointGroups } from '../shared/api/endpoints';
import { registerEndpoints } from '../shared/api/http-adapter';
import { services } from '../shared/runtime/services';

/** Portal API: licences, protection of users, notifications (declared in shared/api/endpoints/protection.ts). */
registerEndpoints(portalEndpointGroups.protection, () => services.api);
