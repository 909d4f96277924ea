import { randomBytes } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { invertedTime } from '../backup/snapshot-record';
import { AppError } from '../errors/app-error';
import { TableNames, modifyEntity, type Tables } from '../storage/tables';

export const healthServices = [
  'exchange-backup',
  'onedrive-backup',
  'sharepoint-backup',
  'groups-backup',
  'restore',
  'portal',
] as const;
export type HealthService = (typeof healthServices)[number];
export const incidentImpacts = ['advisory', 'degraded', 'outage'] as const;
export type IncidentImpact = (typeof incidentImpacts)[number];
export const incidentStatuses = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type IncidentStatus = (typeof incidentStatuses)[number];

export interface IncidentUpdate {
  at: string;
  status: IncidentStatus;
  message: string;
  by: string;
}

/** A service health incident, set by the provider's operators and shown to every tenant. */
export interface Incident {
  incidentId: string;
  services: HealthService[];
  title: string;
  impact: IncidentImpact;
  status: IncidentStatus;
  startedAt: string;
  resolvedAt: string | null;
  updatedAt: string;
  updates: IncidentUpdate[];
}

interface IncidentEntity {
  partitionKey: string;
  rowKey: string;
  services: string;
  title: string;
  impact: string;
  status: string;
  startedAt: string;
  resolvedAt: string;
  updatedAt: string;
  updates: string;
}

const PARTITION = 'incident';

/** Incidents in one partition, newest first (`<inverted start>|<random>`); the id is the row key. */
export class IncidentStore {
  constructor(private readonly tables: Tables) {}

  private table(): Promise<TableClient> {
    return this.tables.client(TableNames.serviceHealth);
  }

  newIncidentId(startedAt: Date): string {
    return `${invertedTime(startedAt)}-${randomBytes(4).toString('hex')}`;
  }

  async create(incident: Incident): Promise<void> {
    await (await this.table()).createEntity(toEntity(incident));
  }

  async update(incidentId: string, change: (incident: Incident) => Incident): Promise<Incident> {
    if (!/^\d{13}-[0-9a-f]{8}$/.test(incidentId)) throw new AppError('not-found', 'incident not found');
    return modifyEntity<IncidentEntity, Incident>(
      await this.table(),
      { partitionKey: PARTITION, rowKey: incidentId },
      { from: fromEntity, to: toEntity },
      change,
      { notFound: 'incident not found', attempts: 11 },
    );
  }

  /** The most recent incidents (one query): open ones and the recent past. */
  async recent(limit = 200): Promise<Incident[]> {
    const table = await this.table();
    const result = await table
      .listEntities<IncidentEntity>({ queryOptions: { filter: `PartitionKey eq '${PARTITION}'` } })
      .byPage({ maxPageSize: limit })
      .next();
    return result.done ? [] : result.value.map(fromEntity);
  }
}

function toEntity(i: Incident): IncidentEntity {
  return {
    partitionKey: PARTITION,
    rowKey: i.incidentId,
    services: JSON.stringify(i.services),
    title: i.title,
    impact: i.impact,
    status: i.status,
    startedAt: i.startedAt,
    resolvedAt: i.resolvedAt ?? '',
    updatedAt: i.updatedAt,
    updates: JSON.stringify(i.updates),
  };
}

function fromEntity(e: IncidentEntity): Incident {
  return {
    incidentId: e.rowKey,
    services: JSON.parse(e.services) as HealthService[],
    title: e.title,
    impact: e.impact as IncidentImpact,
    status: e.status as IncidentStatus,
    startedAt: e.startedAt,
    resolvedAt: e.resolvedAt || null,
    updatedAt: e.updatedAt,
    updates: JSON.parse(e.updates) as IncidentUpdate[],
  };
}
