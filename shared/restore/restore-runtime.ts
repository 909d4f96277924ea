import { services } from '../runtime/services';
import { createRestoreCore, type RestoreCore } from './restore-core';

let core: RestoreCore | undefined;

/** The app's restore and export collaborators, built on first use from the composition root's parts. */
export function restoreCore(): RestoreCore {
  core ??= createRestoreCore({
    settings: services.settings,
    storage: services.storage,
    clock: services.clock,
    tenants: services.tenants,
    resources: services.resources,
    reader: services.api.deps.reader,
    queue: services.queue,
    graph: services.graph,
  });
  return core;
}
