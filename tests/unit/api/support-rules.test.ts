import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors/app-error';
import {
  addBusinessMinutes,
  businessMinutesBetween,
  parseBusinessCalendar,
} from '../../../shared/support/business-calendar';
import {
  checkSeverity,
  initialResponseDue,
  slaStateOf,
  type SupportRequest,
} from '../../../shared/support/support-request';
import type { Tenant } from '../../../shared/tenants/tenant';

const officeHours = parseBusinessCalendar('Mon-Fri 09:00-17:00');
const due = (filedAt: string, severity: 'A' | 'B' | 'C', zone: string, calendar = officeHours) =>
  initialResponseDue(new Date(filedAt), severity, calendar, zone).toISOString();

describe('initial response targets', () => {
  it('C filed Friday 17:00 in Amsterdam is due Wednesday 17:00 there (the weekend does not count)', () => {
    // 2026-11-20 is a Friday; CET is UTC+1.
    expect(due('2026-11-20T16:00:00Z', 'C', 'Europe/Amsterdam')).toBe('2026-11-25T16:00:00.000Z');
  });

  it('B filed Friday 16:00 in New York the weekend DST ends is due Monday 16:00 EST, not EDT', () => {
    // 16:00 EDT = 20:00Z; one hour Friday, seven Monday; Monday 16:00 EST = 21:00Z.
    expect(due('2026-10-30T20:00:00Z', 'B', 'America/New_York')).toBe('2026-11-02T21:00:00.000Z');
  });

  it('B filed in Amsterdam the Friday before summer time starts is due Monday at the same wall-clock hour', () => {
    // Friday 2026-03-27 12:00 CET (11:00Z): five hours Friday, three Monday → Monday 12:00 CEST = 10:00Z.
    expect(due('2026-03-27T11:00:00Z', 'B', 'Europe/Amsterdam')).toBe('2026-03-30T10:00:00.000Z');
  });

  it('A is due one hour later around the clock, even at 03:00 on a Saturday', () => {
    expect(due('2026-11-21T03:00:00Z', 'A', 'Europe/Amsterdam')).toBe('2026-11-21T04:00:00.000Z');
  });

  it('the clock starts at opening time for a request filed before it', () => {
    // Monday 07:00 CET → the first business hour is 09:00; three business days end Wednesday 17:00.
    expect(due('2026-11-23T06:00:00Z', 'C', 'Europe/Amsterdam')).toBe('2026-11-25T16:00:00.000Z');
  });

  it('holidays from the calendar do not count', () => {
    const christmas = parseBusinessCalendar('Mon-Fri 09:00-17:00', '2026-12-25, 2026-12-28');
    // Thursday 24th 16:00 CET: one hour; Friday 25th and Monday 28th are holidays; Tuesday 09:00 + 7 h.
    expect(due('2026-12-24T15:00:00Z', 'B', 'Europe/Amsterdam', christmas)).toBe('2026-12-29T15:00:00.000Z');
  });

  it('follows the tenant’s time zone and working week (Sunday to Thursday in Dubai)', () => {
    const gulf = parseBusinessCalendar('Sun-Thu 08:00-16:00');
    // Thursday 2026-11-19 15:00 GST (11:00Z): one hour; Friday and Saturday off; Sunday 08:00 + 7 h = 15:00 GST.
    expect(due('2026-11-19T11:00:00Z', 'B', 'Asia/Dubai', gulf)).toBe('2026-11-22T11:00:00.000Z');
  });

  it('the same instant gets different targets in different zones', () => {
    const filed = '2026-11-20T15:30:00Z'; // Friday: 16:30 in Amsterdam, 10:30 in New York.
    expect(due(filed, 'B', 'Europe/Amsterdam')).toBe('2026-11-23T15:30:00.000Z'); // Monday 16:30 CET
    expect(due(filed, 'B', 'America/New_York')).toBe('2026-11-23T15:30:00.000Z'); // Monday 10:30 EST
    expect(due(filed, 'C', 'Asia/Tokyo')).toBe('2026-11-25T08:00:00.000Z'); // filed Saturday 00:30 JST → Wed 17:00 JST
  });

  it('measures business time between two instants', () => {
    const friday = new Date('2026-11-20T15:00:00Z'); // 16:00 CET
    const monday = new Date('2026-11-23T09:00:00Z'); // 10:00 CET
    expect(businessMinutesBetween(friday, monday, officeHours, 'Europe/Amsterdam')).toBe(120);
    expect(addBusinessMinutes(friday, 120, officeHours, 'Europe/Amsterdam').toISOString()).toBe(
      monday.toISOString(),
    );
  });

  it('refuses a calendar it cannot read', () => {
    expect(() => parseBusinessCalendar('weekdays 9 to 5')).toThrow(/expected e.g./);
    expect(() => parseBusinessCalendar('Mon-Fri 17:00-09:00')).toThrow(/closing must be after opening/);
  });
});

const tenant = (premiumSupport: boolean) => ({ premiumSupport }) as Tenant;

describe('severity rules', () => {
  const reject = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      return error as AppError;
    }
    throw new Error('accepted');
  };

  it('severity A needs a premium support contract, naming the field', () => {
    const error = reject(() => checkSeverity(tenant(false), 'technical', 'A'));
    expect(error.code).toBe('invalid');
    expect(error.details).toEqual([
      { field: 'body.severity', message: 'severity A needs a premium support contract' },
    ]);
    expect(() => checkSeverity(tenant(true), 'technical', 'A')).not.toThrow();
  });

  it('billing requests are at most B, even with premium support', () => {
    const error = reject(() => checkSeverity(tenant(true), 'billing', 'A'));
    expect(error.details[0]?.message).toBe('billing requests are at most severity B');
    expect(() => checkSeverity(tenant(false), 'billing', 'B')).not.toThrow();
    expect(() => checkSeverity(tenant(false), 'technical', 'C')).not.toThrow();
  });
});

describe('SLA state', () => {
  const request = (firstResponseAt: string | null) =>
    ({ initialResponseDueAt: '2026-11-23T09:00:00.000Z', firstResponseAt }) as SupportRequest;

  it('is pending before the target, missed after it, met when answered in time', () => {
    expect(slaStateOf(request(null), new Date('2026-11-23T08:59:00Z'))).toBe('pending');
    expect(slaStateOf(request(null), new Date('2026-11-23T09:01:00Z'))).toBe('missed');
    expect(slaStateOf(request('2026-11-23T08:00:00.000Z'), new Date('2026-12-01T00:00:00Z'))).toBe('met');
    expect(slaStateOf(request('2026-11-23T10:00:00.000Z'), new Date('2026-12-01T00:00:00Z'))).toBe('missed');
  });
});
