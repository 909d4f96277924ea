import { appVersion } from '../config/app-version';
import { loadSettings, type Settings } from '../config/settings';
import { createStorageClients, type StorageClients } from '../storage/storage-clients';

/**
 * The composition root: the one place that builds the app's collaborators from settings. Function
 * files take what they need from here. Settings are validated when this module is first loaded, so
 * a bad setting stops the app at start-up with a message naming every bad setting.
 */
export interface Services {
  settings: Settings;
  version: string;
  storage: StorageClients;
  /** Clients with a short timeout and no retries, for health probes. */
  healthStorage: StorageClients;
}

const settings = loadSettings();

export const services: Services = {
  settings,
  version: appVersion(),
  storage: createStorageClients(settings),
  healthStorage: createStorageClients(settings, { maxTries: 1, tryTimeoutMs: 3000 }),
};
