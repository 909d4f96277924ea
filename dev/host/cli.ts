import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_REQUEST_BODY_BYTES, FunctionHost, HostStartupError } from './function-host';
import { createLogger, describeError } from './logger';
import { lateProcessSettings } from './process-settings';

/**
 * The local Functions host's command line:
 *   node dist/dev/host/cli.js --script-root . --port 7071 --settings local.settings.json
 * Prints the settings file used, the functions with their routes and triggers, then one line
 * `Functions host listening on http://127.0.0.1:PORT (N functions)`. SIGINT/SIGTERM stop it cleanly.
 */
const usage = `Usage: node dist/dev/host/cli.js [options]
  --script-root <dir>        app folder with package.json ("main") and host.json (default: .)
  --port <n>                 HTTP port (default 7071; 0 = any free port)
  --hostname <addr>          listen address (default 127.0.0.1)
  --settings <file>          local.settings.json to apply (default: <script-root>/local.settings.json)
  --max-request-body <bytes> larger request bodies get 413 (default ${DEFAULT_MAX_REQUEST_BODY_BYTES})
  --method-not-allowed       answer 405 (not the real host's 404) for a known route with another method
  --shutdown-grace <ms>      how long to let in-flight work finish on stop (default 10000)
  --help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'script-root': { type: 'string', default: '.' },
      port: { type: 'string' },
      hostname: { type: 'string', default: '127.0.0.1' },
      settings: { type: 'string' },
      'max-request-body': { type: 'string' },
      'method-not-allowed': { type: 'boolean', default: false },
      'shutdown-grace': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const scriptRoot = path.resolve(values['script-root']);
  const port = values.port === undefined ? 7071 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new HostStartupError(`--port ${values.port} is not a port`);
  // For errors outside any invocation (always printed: error level).
  const logger = createLogger();

  // A handler's stray promise or callback must not take the host down.
  process.on('unhandledRejection', (reason) =>
    logger.error('Unhandled promise rejection in the app', describeError(reason)),
  );
  process.on('uncaughtException', (error) =>
    logger.error('Uncaught exception in the app', describeError(error)),
  );

  const environmentAtStart = { ...process.env };
  const host = await FunctionHost.start({
    scriptRoot,
    port,
    hostname: values.hostname,
    settingsFile: values.settings ? path.resolve(values.settings) : undefined,
    maxRequestBodyBytes: values['max-request-body'] ? Number(values['max-request-body']) : undefined,
    methodNotAllowed405: values['method-not-allowed'],
    shutdownGraceMs: values['shutdown-grace'] ? Number(values['shutdown-grace']) : undefined,
    // No logger: the host builds one with host.json's logging level.
  });

  const settings = host.settings;
  console.log(
    settings.file
      ? `Settings: ${settings.file} (${settings.applied.length} applied${
          settings.overridden.length
            ? `; already set in the environment: ${settings.overridden.join(', ')}`
            : ''
        })`
      : `Settings: no local.settings.json at ${values.settings ?? path.join(scriptRoot, 'local.settings.json')}; using the environment only`,
  );
  const late = lateProcessSettings(environmentAtStart, process.env);
  if (late.length > 0)
    console.warn(
      `Settings ${late.join(', ')} take effect only when a process starts, and this host was started without them: ` +
        'start it with them in its environment (npm start, the tests and the benchmarks do), as the Functions host starts its worker.',
    );
  const functions = host.describeFunctions();
  console.log('Functions:');
  for (const fn of functions) console.log(`  ${fn.name}: ${fn.trigger} ${fn.detail}`);
  console.log(
    `Functions host listening on ${host.url} (${functions.length} function${functions.length === 1 ? '' : 's'})`,
  );

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      console.error(`Second ${signal}: exiting now`);
      process.exit(1);
    }
    console.log(`${signal} received: stopping (in-flight work gets a grace period)`);
    host.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Host stopped with an error:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((error: unknown) => {
  const message = error instanceof HostStartupError || error instanceof Error ? error.message : String(error);
  console.error(`Functions host failed to start: ${message}`);
  process.exit(1);
});
