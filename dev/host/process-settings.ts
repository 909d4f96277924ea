import { applyLocalSettings } from './host-config';

/**
 * Settings that are read when a process starts, not after: Node.js reads `NODE_OPTIONS`, glibc's
 * malloc reads `MALLOC_ARENA_MAX` and `MALLOC_MMAP_THRESHOLD_`, libuv `UV_THREADPOOL_SIZE` (on
 * first use, which may come before the settings are applied). In Azure and under `func start` they
 * reach the app because the Functions host starts the Node.js worker with the app settings in its
 * environment. The local host runs the app in its own process, so whoever starts it must put them
 * in its environment: `withProcessSettings` does, from the same local.settings.json.
 */
export const PROCESS_START_SETTINGS = [
  'NODE_OPTIONS',
  'MALLOC_ARENA_MAX',
  'MALLOC_MMAP_THRESHOLD_',
  'UV_THREADPOOL_SIZE',
] as const;

/**
 * `env` with the process-start settings of `settingsFile` added, for spawning the local host. As
 * with every setting, a variable already in `env` wins over the file.
 */
export function withProcessSettings(
  settingsFile: string | undefined,
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  if (!settingsFile) return { ...env };
  const all = { ...env };
  applyLocalSettings(settingsFile, all);
  const result = { ...env };
  for (const name of PROCESS_START_SETTINGS) if (all[name] !== undefined) result[name] = all[name];
  return result;
}

/**
 * The process-start settings that the settings file gave this process only after it had started
 * (`before`: its environment at start): they do not apply, and the host says so.
 */
export function lateProcessSettings(
  before: Record<string, string | undefined>,
  after: Record<string, string | undefined>,
): string[] {
  return PROCESS_START_SETTINGS.filter((name) => after[name] !== undefined && before[name] !== after[name]);
}
