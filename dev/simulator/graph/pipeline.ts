/**
 * The Graph request pipeline: authentication, routing, roles, the ~4 MB request limit, Outlook
 * per-mailbox throttling, the handler, and Graph's error shape and headers. `$batch` runs its
 * items through the same pipeline.
 */
import { authenticateGraph, requireRoles } from '../auth/graph-auth';
import type { GraphCall, SimContext } from '../context';
import { GraphError, renderGraphError } from '../http/errors';
import { graphSegments, Router } from '../http/router';
import type { SimRequest, SimResponse } from '../http/types';
import type { SimulatorLimits } from '../options';
import { runBatch } from './batch';
import { registerDrives } from './drives';
import { registerGroups } from './groups';
import { registerMail } from './mail';
import { registerMailAttachments } from './mail-attachments';
import type { GraphRoute } from './route';
import { registerSites } from './sites';
import { registerUsers } from './users';

export class GraphPipeline {
  readonly router = new Router<GraphRoute>();

  constructor(private readonly sim: SimContext) {
    registerUsers(this.router);
    registerGroups(this.router);
    registerSites(this.router);
    registerMail(this.router);
    registerMailAttachments(this.router);
    registerDrives(this.router);
    sim.subscriptions.register(this.router);
  }

  /** Handles a request whose path starts with `/v1.0`; `endpoint` receives the matched route for counters. */
  async handle(
    req: SimRequest,
    vanish: boolean,
    endpoint: (name: string) => void = () => {},
  ): Promise<SimResponse> {
    let response: SimResponse;
    try {
      response = await this.dispatch(req, vanish, endpoint);
    } catch (error) {
      if (!(error instanceof GraphError)) throw error;
      response = renderGraphError(error, req, this.sim.state.now());
    }
    response.headers['cache-control'] ??= 'no-cache';
    response.headers['odata-version'] ??= '4.0';
    return response;
  }

  private async dispatch(
    req: SimRequest,
    vanish: boolean,
    endpoint: (name: string) => void,
  ): Promise<SimResponse> {
    const path = req.path.replace(/^\/v1\.0/i, '');
    const segments = graphSegments(path);
    if (segments.length === 1 && segments[0] === '$batch' && req.method === 'POST') {
      endpoint('POST /$batch');
      const token = authenticateGraph(this.sim, req);
      return runBatch(this.sim, req, token, (item) => this.handle(item, false));
    }
    const token = authenticateGraph(this.sim, req);
    const tenant = this.sim.state.tenant(token.tenantId)!;
    if (segments[0]?.toLowerCase() === 'me') {
      throw new GraphError(
        400,
        'BadRequest',
        '/me request is only valid with delegated authentication flow.',
      );
    }
    const match = this.router.match(req.method, segments);
    if (match === 'method-not-allowed')
      throw new GraphError(
        405,
        'Request_BadRequest',
        'Specified HTTP method is not allowed for the request target.',
      );
    if (!match)
      throw new GraphError(
        400,
        'BadRequest',
        `Resource not found for the segment '${segments[segments.length - 1] ?? ''}'.`,
      );
    endpoint(`${req.method} /${segments.map((s, i) => (isParam(segments, i) ? '{id}' : s)).join('/')}`);
    const route = match.handler;
    requireRoles(token, route.roles, route.deny);
    const isDriveUpload = req.method === 'PUT' && segments[segments.length - 1]?.toLowerCase() === 'content';
    if (!isDriveUpload && req.body.length > this.sim.limits.maxRequestBytes) {
      throw new GraphError(413, 'RequestEntityTooLarge', 'The maximum request length supported is 4MB.');
    }
    const call: GraphCall = {
      sim: this.sim,
      req,
      tenant,
      token,
      params: match.params,
      segments,
      vanish,
      extraHeaders: {},
    };
    let release: (() => void) | undefined;
    if (route.mailbox) {
      const mailbox = match.params[route.mailbox]!;
      const user = this.sim.state.user(tenant, mailbox);
      const uploadBytes = req.method === 'GET' || req.method === 'DELETE' ? 0 : req.body.length;
      release = this.sim.throttling.admitMailbox(token.appId, user?.id ?? mailbox, uploadBytes);
    }
    try {
      await applyLatency(this.sim.limits);
      const response = await route.handle(call);
      Object.assign(response.headers, call.extraHeaders);
      return response;
    } finally {
      release?.();
    }
  }
}

/** The configured service time of a request: fixed plus uniform jitter. */
export async function applyLatency(limits: SimulatorLimits): Promise<void> {
  const ms = limits.latencyMs + (limits.latencyJitterMs > 0 ? Math.random() * limits.latencyJitterMs : 0);
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Segments that are ids rather than resource names, for per-endpoint counters. */
function isParam(segments: string[], i: number): boolean {
  const s = segments[i]!;
  const prev = segments[i - 1]?.toLowerCase();
  if (prev === '$path') return true;
  return (
    [
      'users',
      'groups',
      'sites',
      'drives',
      'items',
      'mailfolders',
      'childfolders',
      'messages',
      'attachments',
      'threads',
      'posts',
      'subscriptions',
    ].includes(prev ?? '') &&
    !['delta', '$count', 'getallsites', 'root', 'createuploadsession'].includes(s.toLowerCase())
  );
}
