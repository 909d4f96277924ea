import { z } from 'zod';
import { resourceKinds, workloads } from '../resources/resource';

/** RFC 3339 UTC timestamps, as every time in the API. */
export const timestamp = z.iso.datetime({
  offset: false,
  error: 'expected an RFC 3339 UTC time, e.g. 2026-01-31T12:00:00Z',
});
/** Query-string time filters: RFC 3339 with any offset, normalised to UTC. */
export const timeFilter = z.iso
  .datetime({ offset: true, error: 'expected an RFC 3339 time, e.g. 2026-01-31T12:00:00Z' })
  .transform((v) => new Date(v).toISOString());

export const opaqueId = z
  .string({ error: 'expected an id' })
  .min(1, 'expected an id')
  .max(1024, 'id too long')
  .regex(/^[A-Za-z0-9_-]+$/, 'not a valid id');

/** Resource ids are `<kind>:<graph id>` today; clients must treat them as opaque. */
export const resourceId = z
  .string({ error: 'expected a resource id' })
  .min(3, 'not a valid resource id')
  .max(512, 'resource id too long')
  .regex(/^[a-z]+:[^\s/?#]+$/, 'not a valid resource id');

export const idParams = z.object({ id: opaqueId });
export const resourceIdParams = z.object({ id: resourceId });

export const resourceKind = z.enum(resourceKinds);
export const workload = z.enum(workloads);

export function boundedText(max: number, what = 'text') {
  return z
    .string({ error: `expected ${what}` })
    .trim()
    .min(1, `expected ${what}`)
    .max(max, `at most ${max} characters`);
}

/** A query-string boolean. */
export const queryBoolean = z
  .enum(['true', 'false'], { error: 'expected true or false' })
  .transform((v) => v === 'true');

export const ianaTimeZone = z
  .string({ error: 'expected an IANA time zone, e.g. Europe/Amsterdam' })
  .max(64)
  .refine(
    (zone) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'expected an IANA time zone, e.g. Europe/Amsterdam' },
  );
