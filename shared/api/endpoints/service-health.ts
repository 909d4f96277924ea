import { z } from 'zod';
import {
  healthServices,
  incidentImpacts,
  incidentStatuses,
  type Incident,
  type IncidentImpact,
} from '../../service-health/incident-store';
import { defineEndpoint } from '../endpoint';
import { boundedText, timestamp } from '../schemas';

const incidentView = z.object({
  id: z.string(),
  services: z.array(z.enum(healthServices)),
  title: z.string(),
  impact: z.enum(incidentImpacts),
  status: z.enum(incidentStatuses),
  startedAt: timestamp,
  resolvedAt: timestamp.nullable(),
  updatedAt: timestamp,
  updates: z.array(z.object({ at: timestamp, status: z.enum(incidentStatuses), message: z.string() })),
});

function toIncidentView(i: Incident): z.input<typeof incidentView> {
  return {
    id: i.incidentId,
    services: i.services,
    title: i.title,
    impact: i.impact,
    status: i.status,
    startedAt: i.startedAt,
    resolvedAt: i.resolvedAt,
    updatedAt: i.updatedAt,
    updates: i.updates.map(({ at, status, message }) => ({ at, status, message })),
  };
}

const serviceStatus = z.enum(['operational', 'advisory', 'degraded', 'outage']);
const PAST_DAYS = 90;
const rank: Record<IncidentImpact, number> = { advisory: 1, degraded: 2, outage: 3 };

const incidentIdParams = z.object({
  id: z.string().regex(/^\d{13}-[0-9a-f]{8}$/, 'not a valid incident id'),
});

export const serviceHealthEndpoints = [
  defineEndpoint({
    operationId: 'getServiceHealth',
    method: 'GET',
    route: 'v1/service-health',
    summary: 'Current and past incidents per service',
    tag: 'service health',
    access: 'signed-in',
    response: {
      status: 200,
      description: 'Service health.',
      schema: z.object({
        services: z.array(
          z.object({
            service: z.enum(healthServices),
            status: serviceStatus,
            currentIncidentIds: z.array(z.string()),
          }),
        ),
        current: z.array(incidentView),
        past: z.array(incidentView).describe(`resolved in the last ${PAST_DAYS} days`),
      }),
    },
    handler: async ({ deps }) => {
      const incidents = await deps.incidents.recent();
      const since = new Date(deps.clock.now().getTime() - PAST_DAYS * 86_400_000).toISOString();
      const current = incidents.filter((i) => i.status !== 'resolved');
      const past = incidents.filter((i) => i.status === 'resolved' && (i.resolvedAt ?? i.updatedAt) >= since);
      return {
        body: {
          services: healthServices.map((service) => {
            const open = current.filter((i) => i.services.includes(service));
            const worst = open.reduce<IncidentImpact | undefined>(
              (w, i) => (!w || rank[i.impact] > rank[w] ? i.impact : w),
              undefined,
            );
            const status: z.infer<typeof serviceStatus> = worst ?? 'operational';
            return { service, status, currentIncidentIds: open.map((i) => i.incidentId) };
          }),
          current: current.map(toIncidentView),
          past: past.map(toIncidentView),
        },
      };
    },
  }),
  defineEndpoint({
    operationId: 'createIncident',
    method: 'POST',
    route: 'v1/operator/service-health/incidents',
    summary: 'Open a service health incident',
    tag: 'operator',
    access: 'operator',
    body: z.strictObject({
      services: z
        .array(z.enum(healthServices))
        .min(1, 'name at least one service')
        .max(healthServices.length),
      title: boundedText(200, 'a title'),
      impact: z.enum(incidentImpacts),
      message: boundedText(4000, 'a message'),
    }),
    audit: { action: 'service-health.incident.create' },
    response: { status: 201, description: 'The incident.', schema: incidentView },
    handler: async ({ deps, body, caller, audit }) => {
      const now = deps.clock.now();
      const at = now.toISOString();
      const incident: Incident = {
        incidentId: deps.incidents.newIncidentId(now),
        services: [...new Set(body.services)],
        title: body.title,
        impact: body.impact,
        status: 'investigating',
        startedAt: at,
        resolvedAt: null,
        updatedAt: at,
        updates: [{ at, status: 'investigating', message: body.message, by: caller.userName }],
      };
      await deps.incidents.create(incident);
      audit.target = incident.incidentId;
      return { status: 201, body: toIncidentView(incident) };
    },
  }),
  defineEndpoint({
    operationId: 'updateIncident',
    method: 'PATCH',
    route: 'v1/operator/service-health/incidents/{id}',
    summary: 'Update an incident (status, impact, a message); `resolved` closes it',
    tag: 'operator',
    access: 'operator',
    params: incidentIdParams,
    body: z
      .strictObject({
        status: z.enum(incidentStatuses).optional(),
        impact: z.enum(incidentImpacts).optional(),
        title: boundedText(200, 'a title').optional(),
        message: boundedText(4000, 'a message').optional(),
      })
      .refine((b) => Object.keys(b).length > 0, { message: 'change at least one field' }),
    errors: ['conflict'],
    audit: { action: 'service-health.incident.update' },
    response: { status: 200, description: 'The incident.', schema: incidentView },
    handler: async ({ deps, body, params, caller, audit }) => {
      const at = deps.clock.now().toISOString();
      const updated = await deps.incidents.update(params.id, (i) => {
        const status = body.status ?? i.status;
        if (i.status === 'resolved' && status === 'resolved' && !body.message) return i;
        i.status = status;
        if (body.impact) i.impact = body.impact;
        if (body.title) i.title = body.title;
        i.resolvedAt = status === 'resolved' ? (i.resolvedAt ?? at) : null;
        i.updatedAt = at;
        if (body.message || body.status) {
          i.updates.push({ at, status, message: body.message ?? `Status: ${status}`, by: caller.userName });
        }
        return i;
      });
      audit.details = { status: updated.status };
      return { body: toIncidentView(updated) };
    },
  }),
];
