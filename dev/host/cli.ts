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

/** How long stop() may run past the grace period before the process exits anyway. */
const STOP_OVERRUN_MS = 5_000;

/** One line on stdout for a person reading the console, unless the output is closed. */
let say: (line: string) => void = (line) => console.log(line);

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

  // Whoever reads the host's output may go away without stopping it (the `npm start` or test
  // process that spawned it was killed). Writing to the closed pipe then fails with EPIPE: with no
  // listener that failure became an uncaught exception, whose log line failed again, and the host
  // spun on it forever, never reaching its signal handlers. Now a closed output stops the host, as
  // SIGTERM would, and nothing more is written.
  let outputClosed = false;
  let stop: ((reason: string) => void) | undefined = undefined; // set once the host is listening
  const onOutputError = (error: NodeJS.ErrnoException) => {
    if (outputClosed) return;
    outputClosed = true;
    if (stop) stop(`its output is closed (${error.code ?? error.message})`);
    else process.exit(1); // not started yet: nothing to drain
  };
  process.stdout.on('error', onOutputError);
  say = (line) => {
    if (!outputClosed) console.log(line);
  };
  process.stderr.on('error', onOutputError);
  // Registered before anything is printed: whoever started the host may signal it as soon as it
  // reads the listening line, and a signal with no handler kills the process without a stop.
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop) stop(`${signal} received`);
    else {
      say(`${signal} received before the host was listening: exiting`);
      process.exit(1);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // A handler's stray promise or callback must not take the host down.
  process.on('unhandledRejection', (reason) => {
    if (!outputClosed) logger.error('Unhandled promise rejection in the app', describeError(reason));
  });
  process.on('uncaughtException', (error) => {
    if (!outputClosed) logger.error('Uncaught exception in the app', describeError(error));
  });

  const shutdownGraceMs = values['shutdown-grace'] ? Number(values['shutdown-grace']) : 10_000;
  if (!Number.isFinite(shutdownGraceMs) || shutdownGraceMs < 0)
    throw new HostStartupError(
      `--shutdown-grace ${values['shutdown-grace']} is not a number of milliseconds`,
    );

  const environmentAtStart = { ...process.env };
  const host = await FunctionHost.start({
    scriptRoot,
    port,
    hostname: values.hostname,
    settingsFile: values.settings ? path.resolve(values.settings) : undefined,
    maxRequestBodyBytes: values['max-request-body'] ? Number(values['max-request-body']) : undefined,
    methodNotAllowed405: values['method-not-allowed'],
    shutdownGraceMs,
    // Silent once the output is closed; otherwise one JSON line per entry on stdout.
    write: (line) => {
      if (!outputClosed) process.stdout.write(line + '\n');
    },
  });

  let stopRequests = 0;
  stop = (reason: string) => {
    stopRequests++;
    if (stopRequests > 1) {
      say(`Asked again to stop (${reason}): exiting now`);
      process.exit(1);
    }
    say(`Stopping: ${reason} (in-flight work gets a grace period of ${shutdownGraceMs} ms)`);
    // The grace period bounds the wait for in-flight work; this bounds everything else in stop()
    // (closing connections, appTerminate hooks), so a stop always ends.
    setTimeout(() => {
      say('The host did not stop within its grace period: exiting now');
      process.exit(1);
    }, shutdownGraceMs + STOP_OVERRUN_MS).unref();
    host.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        say(`Host stopped with an error: ${describeError(error).error}`);
        process.exit(1);
      },
    );
  };

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
}

main().catch((error: unknown) => {
  const message = error instanceof HostStartupError || error instanceof Error ? error.message : String(error);
  console.error(`Functions host failed to start: ${message}`);
  process.exit(1);
});
