import { portalEndpointGroups } from '../shared/api/endpoints';
import { registerEndpoints } from '../shared/api/http-adapter';
import { services } from '../shared/runtime/services';

/** Portal API: GET /api/v1/me (declared in shared/api/endpoints). */
registerEndpoints(portalEndpointGroups.me, () => services.api);
