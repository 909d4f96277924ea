import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startAzurite, stopChild, type RunningAzurite } from './azurite';
import { withProcessSettings } from './host/process-settings';
import {
  demoSummary,
  DemoSetupError,
  setUpDemoTenant,
  writeDemoFile,
  type DemoSimulator,
} from './demo-tenant';

/**
 * `npm start`: the whole local stack on loopback — Azurite (data under .data/azurite, ports
 * 10000-10002 as local.settings.json expects), the Microsoft 365 simulator (on the port GRAPH_BASE_URL
 * names; skipped while dev/simulator does not exist), and the
 * local Functions host on 7071. Waits until each answers, prints the URLs, then sets up the demo
 * tenant through the portal API (dev/demo-tenant.ts) and prints how to call the API as its admin;
 * Ctrl-C stops them all.
 *
 * Options (after `npm start --`): `--port <n>` for the host, `--simulator-port <n>`,
 * `--free-ports` (every service on a free port, the host pointed at that Azurite: a second stack
 * next to a running one, or a test), `--settings <file>` and `--data-dir <dir>` (default
 * local.settings.json and .data in the repository), `--no-demo` (no demo tenant).
 */

// dist/dev/start.js → the repository root.
const root = path.resolve(__dirname, '..', '..');
const AZURITE_PORTS = { blob: 10000, queue: 10001, table: 10002 } as const;

/** The part of dev/simulator's API this script uses (loaded dynamically: it may not exist yet). */
interface RunningSimulator {
  url: string;
  graphBaseUrl: string;
  authorityHost: string;
  caCertPath: string;
  tenants?: { tenantId: string; displayName: string }[];
  providerTenantId?: string;
  portal?: DemoSimulator['portal'];
  control?: DemoSimulator['control'];
  stop(): Promise<void> | void;
}

interface SimulatorStartOptions {
  port?: number;
  seed?: number;
  dataDir?: string;
  appClientId?: string;
  appClientSecret?: string;
  portalApiAudience?: string;
}

type StartSimulator = (options: SimulatorStartOptions) => Promise<RunningSimulator>;

class StartError extends Error {}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'simulator-port': { type: 'string' },
      'free-ports': { type: 'boolean', default: false },
      settings: { type: 'string' },
      'data-dir': { type: 'string' },
      'no-demo': { type: 'boolean', default: false },
    },
  });
  const freePorts = values['free-ports'];
  // Chosen now (not by the host) so the consent redirect and webhooks can be pointed at it.
  const hostPort = values.port !== undefined ? Number(values.port) : freePorts ? await freePort() : 7071;
  const azuritePorts = freePorts ? { blob: 0, queue: 0, table: 0 } : AZURITE_PORTS;
  const dataDir = path.resolve(values['data-dir'] ?? path.join(root, '.data'));

  const settingsFile = path.resolve(values.settings ?? path.join(root, 'local.settings.json'));
  if (!existsSync(settingsFile)) {
    copyFileSync(path.join(root, 'local.settings.sample.json'), settingsFile);
    console.log(
      `Created ${path.relative(root, settingsFile) || settingsFile} from local.settings.sample.json`,
    );
  }
  // A setting as the host will see it: the environment wins over the settings file.
  const settingValues = readSettingsValues(settingsFile);
  const setting = (name: string): string | undefined => process.env[name] || settingValues[name] || undefined;
  // The simulator listens where the settings' GRAPH_BASE_URL points (https://127.0.0.1:7100 in the sample).
  const simulatorPort = values['simulator-port']
    ? Number(values['simulator-port'])
    : freePorts
      ? 0
      : loopbackPort(setting('GRAPH_BASE_URL'));

  // Check every fixed port first, so a busy one is named before anything starts.
  const ports: [number, string][] = [
    [azuritePorts.blob, 'Azurite Blob'],
    [azuritePorts.queue, 'Azurite Queue'],
    [azuritePorts.table, 'Azurite Table'],
    [hostPort, 'Functions host'],
  ];
  if (simulatorPort !== undefined) ports.push([simulatorPort, 'Microsoft 365 simulator']);
  for (const [port, what] of ports.filter(([port]) => port !== 0)) {
    if (!(await portIsFree(port))) {
      throw new StartError(
        `Port ${port} (${what}) is already in use on 127.0.0.1. Stop whatever uses it (another \`npm start\`?) and try again.`,
      );
    }
  }

  const cleanups: (() => Promise<void> | void)[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error('While stopping:', error);
      }
    }
    process.exit(code);
  };
  process.on('SIGINT', () => {
    console.log('\nStopping the local stack…');
    void stopAll(0);
  });
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const azuriteData = path.join(dataDir, 'azurite');
    console.log(`Starting Azurite (data in ${path.relative(root, azuriteData) || azuriteData})…`);
    const azurite: RunningAzurite = await startAzurite({
      location: azuriteData,
      blobPort: azuritePorts.blob,
      queuePort: azuritePorts.queue,
      tablePort: azuritePorts.table,
    });
    cleanups.push(() => azurite.stop());

    const hostEnv: Record<string, string | undefined> = { ...process.env };
    // On free ports the settings file's connection string (10000-10002) is wrong: point the host at this Azurite.
    if (freePorts) hostEnv.AzureWebJobsStorage = azurite.connectionString;
    const simulator = await startSimulatorIfAvailable({
      ...(simulatorPort !== undefined ? { port: simulatorPort } : {}),
      dataDir: path.join(dataDir, 'simulator'),
      // The simulator's app registrations follow the settings, so the app's credentials are valid there.
      appClientId: setting('BACKUP_APP_CLIENT_ID'),
      appClientSecret: setting('BACKUP_APP_CLIENT_SECRET'),
      portalApiAudience: setting('PORTAL_API_AUDIENCE'),
    });
    if (simulator) {
      cleanups.push(() => simulator.stop());
      hostEnv.NODE_EXTRA_CA_CERTS = simulator.caCertPath;
      hostEnv.GRAPH_BASE_URL = process.env.GRAPH_BASE_URL ?? simulator.graphBaseUrl;
      hostEnv.ENTRA_AUTHORITY_HOST = process.env.ENTRA_AUTHORITY_HOST ?? simulator.authorityHost;
      if (simulator.providerTenantId) {
        hostEnv.PROVIDER_TENANT_ID = process.env.PROVIDER_TENANT_ID ?? simulator.providerTenantId;
      }
    }
    // Settings that name this local host on another port (the sample's 7071 under --free-ports):
    // the consent redirect and Graph's notifications must reach the host actually started.
    const notificationBase = setting('NOTIFICATION_BASE_URL');
    const notificationPort = loopbackPort(notificationBase);
    if (
      !process.env.NOTIFICATION_BASE_URL &&
      notificationPort !== undefined &&
      notificationPort !== hostPort
    ) {
      hostEnv.NOTIFICATION_BASE_URL = `http://127.0.0.1:${hostPort}`;
    }

    console.log('Starting the Functions host…');
    const host = await startHostChild(hostPort, settingsFile, hostEnv);
    cleanups.push(() => stopChild(host.child, 15_000));
    host.child.once('exit', (code) => {
      if (!stopping) {
        console.error(`The Functions host exited (code ${code}); stopping the rest.`);
        void stopAll(1);
      }
    });
    const health = await waitForHealth(`${host.url}/api/health`);

    console.log('');
    console.log('Local stack is up:');
    console.log(`  Functions host   ${host.url}/api   (health: ${host.url}/api/health → ${health})`);
    console.log(
      `  Admin API        POST ${host.url}/admin/functions/<name> runs a timer or queue function now`,
    );
    console.log(
      `  Azurite          blob http://127.0.0.1:${azurite.ports.blob}  queue http://127.0.0.1:${azurite.ports.queue}  table http://127.0.0.1:${azurite.ports.table}`,
    );
    if (simulator) {
      console.log(
        `  M365 simulator   ${simulator.url}  (Graph ${simulator.graphBaseUrl}, Entra ${simulator.authorityHost})`,
      );
    }
    if (simulator && !values['no-demo']) await setUpDemo(simulator, host.url, dataDir);
    console.log('Press Ctrl-C to stop everything.');
  } catch (error) {
    console.error(error instanceof StartError ? error.message : error);
    await stopAll(1);
  }
}

/** The demo tenant (idempotent); a failure is reported and the stack stays up. */
async function setUpDemo(simulator: RunningSimulator, hostUrl: string, dataDir: string): Promise<void> {
  const { control, portal, providerTenantId, tenants } = simulator;
  if (!control || !portal || !providerTenantId || !tenants) {
    console.log('Demo tenant: this simulator has no control API or portal app; skipped.');
    return;
  }
  console.log('');
  console.log('Setting up the demo tenant through the portal API (operator, admin consent, discovery)…');
  try {
    const { setup, file } = await setUpDemoTenant({
      hostUrl,
      simulator: { ...simulator, control, portal, providerTenantId, tenants },
    });
    writeDemoFile(path.join(dataDir, 'demo.json'), file);
    for (const line of demoSummary(setup, hostUrl)) console.log(line);
  } catch (error) {
    const reason = error instanceof DemoSetupError ? error.message : String(error);
    console.warn(`Demo tenant: not set up (${reason}). The stack is up; \`npm start\` again retries.`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function readSettingsValues(file: string): Record<string, string> {
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> };
    return Object.fromEntries(Object.entries(json.Values ?? {}).map(([k, v]) => [k, String(v)]));
  } catch (error) {
    throw new StartError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The port of a URL on this machine (127.0.0.1, localhost), else undefined. */
function loopbackPort(url: string | undefined): number | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname) || !parsed.port) return undefined;
    return Number(parsed.port);
  } catch {
    return undefined;
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The simulator is built by its own issue: start it when `dev/simulator/index` exports startSimulator. */
async function startSimulatorIfAvailable(
  options: SimulatorStartOptions,
): Promise<RunningSimulator | undefined> {
  const entry = path.join(__dirname, 'simulator', 'index.js');
  if (!existsSync(entry)) {
    console.log(
      'Microsoft 365 simulator: not available yet (dev/simulator/index.ts does not exist); going on without it.',
    );
    return undefined;
  }
  let module: { startSimulator?: StartSimulator };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    module = require(entry) as typeof module;
  } catch (error) {
    // It is being built in the same checkout: a half-finished module must not block everyone's npm start.
    console.warn(
      `Microsoft 365 simulator: dev/simulator/index failed to load (${(error as Error).message}); going on without it.`,
    );
    return undefined;
  }
  if (typeof module.startSimulator !== 'function') {
    console.log(
      'Microsoft 365 simulator: dev/simulator/index.ts does not export startSimulator yet; going on without it.',
    );
    return undefined;
  }
  console.log('Starting the Microsoft 365 simulator…');
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return module.startSimulator(defined);
}

async function startHostChild(
  port: number,
  settingsFile: string,
  env: Record<string, string | undefined>,
): Promise<{ child: ChildProcess; url: string }> {
  const cli = path.join(root, 'dist', 'dev', 'host', 'cli.js');
  const args = [cli, '--script-root', root, '--port', String(port), '--settings', settingsFile];
  const child = spawn(process.execPath, args, {
    // NODE_OPTIONS, malloc's settings: read only as a process starts, so given to it at its start.
    env: withProcessSettings(settingsFile, env),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches only this script, which then stops the host once
    // (a second signal would make the host skip its grace period).
    detached: true,
  });
  const url = await new Promise<string>((resolve, reject) => {
    const onLine = (line: string) => {
      console.log(line);
      const match = /Functions host listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]!);
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', (line) => console.error(line));
    child.once('exit', (code) =>
      reject(new StartError(`The Functions host did not start (exit code ${code}); see above.`)),
    );
  });
  return { child, url };
}

async function waitForHealth(url: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      const body = (await response.json()) as { status?: string; failing?: string[] };
      if (response.status === 200) return 'healthy';
      last = `${response.status} ${body.status ?? ''}${body.failing?.length ? ` (failing: ${body.failing.join(', ')})` : ''}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  console.warn(`The host's health check did not turn healthy within ${timeoutMs / 1000} s: ${last}`);
  return last;
}

main().catch((error: unknown) => {
  console.error(error instanceof StartError ? error.message : error);
  process.exit(1);
});
