import { portalEndpointGroups } from '../shared/api/endpoints';
import { registerEndpoints } from '../shared/api/http-adapter';
import { services } from '../shared/runtime/services';

/** Portal API: service health, and operators' incidents (declared in shared/api/endpoints). */
registerEndpoints(portalEndpointGroups.serviceHealth, () => services.api);
