import { portalEndpointGroups } from '../shared/api/endpoints';
import { registerEndpoints } from '../shared/api/http-adapter';
import { services } from '../shared/runtime/services';

/** Portal API: restores — request (mails the one-time code), verify, list, progress and report, cancel. */
registerEndpoints(portalEndpointGroups.restores, () => services.api);
