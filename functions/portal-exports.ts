import { portalEndpointGroups } from '../shared/api/endpoints';
import { registerEndpoints } from '../shared/api/http-adapter';
import { services } from '../shared/runtime/services';

/** Portal API: exports — request, list, progress and the 15-minute download link. */
registerEndpoints(portalEndpointGroups.exports, () => services.api);
