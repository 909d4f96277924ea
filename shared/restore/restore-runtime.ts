import { services } from '../runtime/services';
import type { RestoreCore } from './restore-core';

/** The app's restore and export collaborators, wired in the composition root (shared/runtime/services.ts). */
export function restoreCore(): RestoreCore {
  return services.restore;
}
