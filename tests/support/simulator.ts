import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../dev/simulator';

/**
 * Starts a small simulator for a test on a free port, with the CA the global setup made (trusted
 * by this worker through NODE_EXTRA_CA_CERTS), plus helpers to call Graph the way the service does.
 */
export interface TestSimulator {
  sim: RunningSimulator;
  tenantId: string;
  token(tenantId?: string): Promise<string>;
  graph(
    method: string,
    pathOrUrl: string,
    init?: { headers?: Record<string, string>; body?: unknown; token?: string; raw?: boolean },
  ): Promise<GraphResponse>;
  stop(): Promise<void>;
}

export interface GraphResponse {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  bytes: Buffer;
}

export const smallShape = {
  users: 3,
  usersWithoutMailbox: 1,
  guests: 1,
  messagesPerMailbox: 12,
  customFoldersPerMailbox: 2,
  filesPerDrive: 6,
  sites: 1,
  librariesPerSite: 1,
  filesPerLibrary: 3,
  groups: 1,
  filesPerGroupLibrary: 2,
  threadsPerGroup: 2,
  maxFileBytes: 256 * 1024,
  duplicateFileShare: 0.1,
};

export async function startTestSimulator(options: SimulatorOptions = {}): Promise<TestSimulator> {
  const certDir = process.env.M365_SIM_CERT_DIR;
  const sim = await startSimulator({
    seed: 11,
    tenants: 1,
    shape: smallShape,
    ...(certDir ? { certDir } : {}),
    ...options,
  });
  const tenantId = sim.tenants[0]!.tenantId;
  const tokens = new Map<string, string>();
  const token = async (tid = tenantId) => {
    const cached = tokens.get(tid);
    if (cached) return cached;
    const response = await fetch(`${sim.url}/${tid}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: sim.app.clientId,
        client_secret: sim.app.clientSecret,
        scope: 'https://graph.microsoft.com/.default',
      }),
    });
    const json = (await response.json()) as { access_token?: string };
    if (!json.access_token) throw new Error(`no token: ${JSON.stringify(json)}`);
    tokens.set(tid, json.access_token);
    return json.access_token;
  };
  const graph: TestSimulator['graph'] = async (method, pathOrUrl, init = {}) => {
    const url = pathOrUrl.startsWith('https://') ? pathOrUrl : `${sim.graphBaseUrl}${pathOrUrl}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${init.token ?? (await token())}`,
      ...init.headers,
    };
    let body: string | Buffer | undefined;
    if (Buffer.isBuffer(init.body) || typeof init.body === 'string') body = init.body;
    else if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    const bytes = Buffer.from(await response.arrayBuffer());
    const type = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      headers: response.headers,
      bytes,
      body: type.includes('json') && bytes.length && !init.raw ? JSON.parse(bytes.toString('utf8')) : bytes,
    };
  };
  return { sim, tenantId, token, graph, stop: () => sim.stop() };
}

/** Follows @odata.nextLink to the deltaLink (or the end), returning every item and the last link. */
export async function followPages(t: TestSimulator, first: string, headers: Record<string, string> = {}) {
  const items: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  let url: string | undefined = first;
  let deltaLink: string | undefined;
  let pages = 0;
  while (url) {
    const page = await t.graph('GET', url, { headers });
    if (page.status !== 200)
      throw new Error(`page ${url} answered ${page.status}: ${page.bytes.toString('utf8')}`);
    pages += 1;
    items.push(...page.body.value);
    deltaLink = page.body['@odata.deltaLink'];
    url = page.body['@odata.nextLink'];
  }
  return { items, deltaLink, pages };
}
