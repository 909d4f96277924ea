import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DemoSetupError, portalToken, readDemoFile } from './demo-tenant';
import { ControlClient } from './simulator/control/control-client';

/**
 * `npm run demo:token`: prints a fresh portal API access token (1 hour) for the demo tenant's admin
 * (`--operator`: for a provider operator), signed in at the running simulator's Entra ID with the
 * authorization code flow and PKCE, as the portal does. Reads what `npm start` wrote to
 * `<data-dir>/demo.json` (default .data). Only the token goes to stdout, so
 * `export TOKEN=$(npm run --silent demo:token)` works.
 */

// dist/dev/demo-token.js → the repository root.
const root = path.resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { operator: { type: 'boolean', default: false }, 'data-dir': { type: 'string' } },
  });
  const dataDir = path.resolve(values['data-dir'] ?? path.join(root, '.data'));
  const demo = readDemoFile(path.join(dataDir, 'demo.json'));
  const control = new ControlClient(demo.simulatorUrl, readFileSync(demo.caCertPath, 'utf8'));
  try {
    const token = values.operator
      ? await portalToken(
          { control, portal: { clientId: demo.portalClientId } },
          demo.providerTenantId,
          demo.operatorUserId,
        )
      : await portalToken(
          { control, portal: { clientId: demo.portalClientId } },
          demo.tenantId,
          demo.adminUserId,
        );
    process.stdout.write(`${token}\n`);
  } finally {
    control.close();
  }
}

main().catch((error: unknown) => {
  const message =
    error instanceof DemoSetupError ? error.message : `${(error as Error).message} (is npm start running?)`;
  console.error(`demo:token: ${message}`);
  process.exit(1);
});
