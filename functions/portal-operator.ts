import { portalEndpointGroups } from '../shared/api/endpoints';
import { registerEndpoints } from '../shared/api/http-adapter';
import { services } from '../shared/runtime/services';

/** Portal API: operators: tenants and support across tenants (declared in shared/api/endpoints). */
registerEndpoints(portalEndpointGroups.operator, () => services.api);
