import { portalEndpointGroups } from '../shared/api/endpoints';
import { registerEndpoints } from '../shared/api/http-adapter';
import { services } from '../shared/runtime/services';

/** Portal API: GET /api/v1/dashboard (declared in shared/api/endpoints). */
registerEndpoints(portalEndpointGroups.dashboard, () => services.api);
