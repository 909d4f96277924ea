import { app, type InvocationContext, type Timer } from '@azure/functions';
import { deleteExpiredExports } from '../shared/export/export-engine';
import { loggerFrom } from '../shared/observability/logger';
import { restoreCore } from '../shared/restore/restore-runtime';

/** Deletes exports past EXPORT_RETENTION_DAYS (%EXPORT_CLEANUP_SCHEDULE%). */
export async function exportCleanup(_timer: Timer, context: InvocationContext): Promise<void> {
  const log = loggerFrom(context, {});
  const deleted = await deleteExpiredExports(restoreCore().export(log));
  log.info('expired exports deleted', { deleted });
}

app.timer('export-cleanup', { schedule: '%EXPORT_CLEANUP_SCHEDULE%', handler: exportCleanup });
