import type { ImportSources } from '../restore/restore-engine';
import { defaultImportLimits, validateImportZip, type ImportLimits } from './import-validation';
import { ZipSnapshot } from './zip-snapshot';

/**
 * Imported zips opened for restore: validated again on every open (a slice never trusts a file it
 * did not check itself), then read as a snapshot. `pathFor` finds the local copy of the upload.
 */
export class ZipImportSources implements ImportSources {
  constructor(
    private readonly pathFor: (tenantId: string, importId: string) => Promise<string>,
    private readonly limits: ImportLimits = defaultImportLimits,
  ) {}

  async open(tenantId: string, importId: string) {
    const path = await this.pathFor(tenantId, importId);
    const manifest = await validateImportZip(path, tenantId, this.limits);
    const source = await ZipSnapshot.open(path, manifest);
    return { source, snapshotTime: manifest.snapshotTime, close: () => source.close() };
  }
}
