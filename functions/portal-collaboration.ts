import { portalEndpointGroups } from '../shared/api/endpoints';
import { registerEndpoints } from '../shared/api/http-adapter';
import { services } from '../shared/runtime/services';

/** Portal API: protection of SharePoint sites and groups (declared in shared/api/endpoints/collaboration.ts). */
registerEndpoints(portalEndpointGroups.collaboration, () => services.api);
