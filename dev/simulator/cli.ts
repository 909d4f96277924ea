/**
 * `npm run simulator -- --port 7100 --seed 42 --tenants 2 --users 25 …`: runs the simulator in
 * the foreground, prints its URLs, CA certificate and app credentials; Ctrl-C stops it. Every
 * tenant-shape field and every limit is a flag (kebab-case of its name); `--help` lists them.
 */
import { generator } from './generator';
import type { TenantShape } from './generator/contract';
import { startSimulator } from './index';
import { defaultLimits, defaults, type SimulatorLimits, type SimulatorOptions } from './options';

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

function usage(): string {
  const shape = generator.defaultShape();
  const lines = [
    'Usage: npm run simulator -- [options]',
    '',
    'Server:',
    '  --port <n>                      listen port (default 7100; 0 = any free port)',
    `  --host <addr>                   listen address (default ${defaults.host})`,
    `  --seed <n>                      generator seed (default ${defaults.seed})`,
    `  --tenants <n>                   customer tenants (default ${defaults.tenants}; plus the provider tenant)`,
    '  --data-dir <dir>                persist state and certificates there (default: in memory, temporary certificate)',
    `  --app-client-id <guid>          backup app registration (default ${defaults.appClientId})`,
    `  --app-client-secret <s>         its secret (default ${defaults.appClientSecret})`,
    `  --portal-client-id <guid>       portal app registration (default ${defaults.portalClientId})`,
    '  --portal-api-audience <aud>     audience of portal API tokens (default: the portal client id)',
    '  --no-consent                    customer tenants start without admin consent',
    '  --allow-http-notification-urls  accept http:// notification URLs on any host (loopback always allowed)',
    '  --log-requests                  one line per request on stderr',
    '',
    'Tenant shape:',
    ...Object.entries(shape).map(([k, v]) => `  --${kebab(k).padEnd(30)} (default ${v})`),
    '',
    'Limits and latency:',
    ...Object.entries(defaultLimits)
      .filter(([, v]) => typeof v === 'number')
      .map(([k, v]) => `  --${kebab(k).padEnd(30)} (default ${v})`),
    '  --notification-retry-delays-ms <a,b,…>  delays between delivery retries',
    '  --subscription-max-minutes-message|-directory|-drive-item <n>',
  ];
  return lines.join('\n');
}

export function parseArgs(argv: string[]): SimulatorOptions & { help?: boolean } {
  const shapeKeys = new Map(
    Object.keys(generator.defaultShape()).map((k) => [kebab(k), k as keyof TenantShape]),
  );
  const limitKeys = new Map(Object.keys(defaultLimits).map((k) => [kebab(k), k as keyof SimulatorLimits]));
  const options: SimulatorOptions & { help?: boolean } = { port: 7100 };
  const shape: Partial<TenantShape> = {};
  const limits: Partial<SimulatorLimits> = {};
  const maxMinutes = { ...defaultLimits.subscriptionMaxMinutes };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const [flag, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`--${flag} needs a value`);
      return v;
    };
    const num = () => {
      const n = Number(value());
      if (!Number.isFinite(n)) throw new Error(`--${flag} needs a number`);
      return n;
    };
    switch (flag) {
      case 'help':
        options.help = true;
        break;
      case 'port':
        options.port = num();
        break;
      case 'host':
        options.host = value();
        break;
      case 'seed':
        options.seed = num();
        break;
      case 'tenants':
        options.tenants = num();
        break;
      case 'data-dir':
        options.dataDir = value();
        break;
      case 'app-client-id':
        options.appClientId = value();
        break;
      case 'app-client-secret':
        options.appClientSecret = value();
        break;
      case 'portal-client-id':
        options.portalClientId = value();
        break;
      case 'portal-api-audience':
        options.portalApiAudience = value();
        break;
      case 'no-consent':
        options.preconsented = false;
        break;
      case 'allow-http-notification-urls':
        options.allowHttpNotificationUrls = true;
        break;
      case 'log-requests':
        options.logRequests = true;
        break;
      case 'notification-retry-delays-ms':
        limits.notificationRetryDelaysMs = value().split(',').filter(Boolean).map(Number);
        break;
      case 'subscription-max-minutes-message':
        maxMinutes.message = num();
        break;
      case 'subscription-max-minutes-directory':
        maxMinutes.directory = num();
        break;
      case 'subscription-max-minutes-drive-item':
        maxMinutes.driveItem = num();
        break;
      default: {
        const shapeKey = shapeKeys.get(flag);
        const limitKey = limitKeys.get(flag);
        if (shapeKey) shape[shapeKey] = num();
        else if (limitKey && typeof defaultLimits[limitKey] === 'number')
          (limits as Record<string, number>)[limitKey] = num();
        else throw new Error(`unknown option --${flag} (see --help)`);
      }
    }
  }
  limits.subscriptionMaxMinutes = maxMinutes;
  return { ...options, shape, limits };
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parseArgs>;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage()}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(usage() + '\n');
    return;
  }
  const sim = await startSimulator(options);
  const out = [
    'Microsoft 365 simulator',
    `  Graph:          ${sim.graphBaseUrl}`,
    `  Entra ID:       ${sim.authorityHost}  (authorityHost; disableInstanceDiscovery: true)`,
    `  Control API:    ${sim.url}/_sim/info`,
    `  CA certificate: ${sim.caCertPath}  (export NODE_EXTRA_CA_CERTS=${sim.caCertPath})`,
    `  App:            client id ${sim.app.clientId}, secret ${sim.app.clientSecret}`,
    `  Portal app:     client id ${sim.portal.clientId}, API audience ${sim.portal.audience}`,
    `  Provider:       tenant ${sim.providerTenantId}`,
    ...sim.tenants.map((t) => `  Tenant:         ${t.tenantId}  ${t.domain}  (${t.displayName})`),
    options.dataDir ? `  State:          ${options.dataDir}` : '  State:          in memory',
    'Press Ctrl-C to stop.',
  ];
  process.stdout.write(out.join('\n') + '\n');
  const stop = () => {
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
