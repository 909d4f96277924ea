import { portalEndpointGroups } from '../shared/api/endpoints';
import { registerEndpoints } from '../shared/api/http-adapter';
import { services } from '../shared/runtime/services';

/** Portal API: resources, back up now, snapshots, browse, search, download (declared in shared/api/endpoints). */
registerEndpoints(portalEndpointGroups.resources, () => services.api);
