import { portalEndpointGroups } from '../shared/api/endpoints';
import { registerEndpoints } from '../shared/api/http-adapter';
import { services } from '../shared/runtime/services';

/** Portal API: the audit trail (declared in shared/api/endpoints). */
registerEndpoints(portalEndpointGroups.audit, () => services.api);
