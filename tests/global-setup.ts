import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTlsMaterial } from '../dev/simulator/tls';

/**
 * Runs once in vitest's main process, before any test worker starts. The simulator serves HTTPS
 * with its own CA, and the real SDKs under test (@azure/identity, the Graph client, fetch) trust a
 * CA only through NODE_EXTRA_CA_CERTS, which Node reads at process start. So the CA is made here,
 * and the variable set here, for every worker process to inherit; simulators started in tests use
 * the same directory (`M365_SIM_CERT_DIR`). One directory per run: parallel runs do not collide.
 */
export default async function setup(): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'm365-test-ca-'));
  const tls = await ensureTlsMaterial(dir);
  process.env.NODE_EXTRA_CA_CERTS = tls.caCertPath;
  process.env.M365_SIM_CERT_DIR = dir;
  // Removed when the run's main process exits (a worker may still start while vitest tears down).
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return () => undefined;
}
