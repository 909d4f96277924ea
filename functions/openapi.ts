import { openApiEndpoint } from '../shared/api/endpoints/openapi-document';
import { registerEndpoints } from '../shared/api/http-adapter';
import { services } from '../shared/runtime/services';

/** GET /api/openapi.json (anonymous): the portal API's OpenAPI 3.1 document. */
registerEndpoints([openApiEndpoint], () => services.api);
