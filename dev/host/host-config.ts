import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The parts of host.json the local host honours, with the real host's defaults. */
export interface HostConfig {
  routePrefix: string;
  /** undefined = no limit (host.json "-1"). */
  functionTimeoutMs: number | undefined;
  queues: QueueConfig;
}

export interface QueueConfig {
  maxPollingIntervalMs: number;
  visibilityTimeoutMs: number;
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
}

/** Reads `<scriptRoot>/host.json`; a missing file means all defaults, as in the real host. */
export function readHostConfig(scriptRoot: string): HostConfig {
  const file = path.join(scriptRoot, 'host.json');
  const json = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const extensions = (json.extensions ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const http = extensions.http ?? {};
  const queues = extensions.queues ?? {};
  const batchSize = numberSetting(queues.batchSize, 16, 'extensions.queues.batchSize');
  const timeout = json.functionTimeout;
  return {
    routePrefix: typeof http.routePrefix === 'string' ? trimSlashes(http.routePrefix) : 'api',
    functionTimeoutMs:
      timeout === undefined
        ? 5 * 60_000 // the default on a Consumption plan; Premium and Dedicated have 30 min
        : timeout === '-1' || timeout === -1
          ? undefined
          : parseDuration(String(timeout), 'functionTimeout'),
    queues: {
      maxPollingIntervalMs:
        queues.maxPollingInterval === undefined
          ? 60_000
          : parseDuration(String(queues.maxPollingInterval), 'extensions.queues.maxPollingInterval'),
      visibilityTimeoutMs:
        queues.visibilityTimeout === undefined
          ? 0
          : parseDuration(String(queues.visibilityTimeout), 'extensions.queues.visibilityTimeout'),
      batchSize,
      newBatchThreshold: numberSetting(
        queues.newBatchThreshold,
        Math.floor(batchSize / 2),
        'extensions.queues.newBatchThreshold',
      ),
      maxDequeueCount: numberSetting(queues.maxDequeueCount, 5, 'extensions.queues.maxDequeueCount'),
      messageEncoding:
        String(queues.messageEncoding ?? 'base64').toLowerCase() === 'none' ? 'none' : 'base64',
    },
  };
}

/** A .NET TimeSpan string as host.json uses them: `hh:mm:ss`, `d.hh:mm:ss`, with optional fraction. */
export function parseDuration(value: string, name: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?$/.exec(value.trim());
  if (!match) throw new Error(`host.json: ${name} "${value}" is not a duration like "00:05:00"`);
  const [, days, hours, minutes, seconds, fraction] = match;
  return (
    ((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 +
    Number(seconds) * 1000 +
    (fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0)
  );
}

function numberSetting(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`host.json: ${name} must be a whole number, got ${value}`);
  return n;
}

function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, '');
}

export interface LoadedSettings {
  /** The file used, or undefined when it does not exist. */
  file: string | undefined;
  /** Names applied to the environment (not already set there). */
  applied: string[];
  /** Names the environment already had, which win over the file. */
  overridden: string[];
}

/**
 * Copies `Values` of local.settings.json into `env`, as `func start` does. Variables already set in
 * the environment win, so a test or a shell can override one setting.
 */
export function applyLocalSettings(
  file: string,
  env: Record<string, string | undefined> = process.env,
): LoadedSettings {
  if (!existsSync(file)) return { file: undefined, applied: [], overridden: [] };
  let json: { IsEncrypted?: boolean; Values?: Record<string, unknown> };
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as typeof json;
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (json.IsEncrypted) {
    throw new Error(`${file} is encrypted (IsEncrypted: true); the local host reads plain values only`);
  }
  const applied: string[] = [];
  const overridden: string[] = [];
  for (const [name, value] of Object.entries(json.Values ?? {})) {
    if (env[name] !== undefined) {
      overridden.push(name);
      continue;
    }
    env[name] = typeof value === 'string' ? value : JSON.stringify(value);
    applied.push(name);
  }
  return { file, applied, overridden };
}

/**
 * Resolves `%NAME%` placeholders in a binding property from the settings, as the host does for
 * `schedule` and `queueName`. A placeholder naming a missing setting is an error.
 */
export function resolveSettingPlaceholders(
  value: string,
  env: Record<string, string | undefined>,
  where: string,
): string {
  return value.replace(/%([^%]+)%/g, (_whole, name: string) => {
    const resolved = env[name];
    if (resolved === undefined || resolved === '') {
      throw new Error(`${where}: '%${name}%' does not resolve to a value (no setting named ${name})`);
    }
    return resolved;
  });
}
