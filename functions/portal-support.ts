import { portalEndpointGroups } from '../shared/api/endpoints';
import { registerEndpoints } from '../shared/api/http-adapter';
import { services } from '../shared/runtime/services';

/** Portal API: customers' support requests and comments (declared in shared/api/endpoints). */
registerEndpoints(portalEndpointGroups.support, () => services.api);
