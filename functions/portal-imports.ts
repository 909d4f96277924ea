import { portalEndpointGroups } from '../shared/api/endpoints';
import { registerEndpoints } from '../shared/api/http-adapter';
import { services } from '../shared/runtime/services';

/** Portal API: imports — an upload link for a backup zip, and its restore (validated, then verified like a restore). */
registerEndpoints(portalEndpointGroups.imports, () => services.api);
