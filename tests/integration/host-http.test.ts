import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { eventually, hostCli, repoRoot, startHost, type RunningHost } from '../support/host';

const fixture = path.join(repoRoot, 'tests', 'fixtures', 'host-app');

describe('local Functions host: HTTP, timers and the admin API (fixture app)', () => {
  let azurite: RunningAzurite;
  let host: RunningHost;
  beforeAll(async () => {
    azurite = await startAzurite();
    host = await startHost({
      scriptRoot: fixture,
      settingsFile: path.join(fixture, 'fixture.settings.json'),
      env: { AzureWebJobsStorage: azurite.connectionString, FIXTURE_GREETING: 'from the environment' },
      args: ['--max-request-body', String(64 * 1024)],
    });
  });
  afterAll(async () => {
    await host?.stop();
    await azurite?.stop();
  });

  it('lists every function with its route or trigger, and the settings file it used', () => {
    const output = host.output();
    expect(output).toContain(`echo: httpTrigger [POST,PUT] ${host.url}/api/echo/{kind}`);
    expect(output).toContain(`items: httpTrigger [GET] ${host.url}/api/items/{id:int}/{part?}`);
    expect(output).toMatch(/flaky: queueTrigger queue 'flaky-jobs' \(connection AzureWebJobsStorage\)/);
    expect(output).toContain(`Settings: ${path.join(fixture, 'fixture.settings.json')}`);
    expect(output).toMatch(/Functions host listening on http:\/\/127\.0\.0\.1:\d+ \(\d+ functions\)/);
  });

  it('applies local settings to the app, with variables already in the environment winning', async () => {
    const fromFile = await fetch(`${host.url}/api/settings/FLAKY_QUEUE`);
    expect(await fromFile.json()).toEqual({ value: 'flaky-jobs' });
    const overridden = await fetch(`${host.url}/api/settings/FIXTURE_GREETING`);
    expect(await overridden.json()).toEqual({ value: 'from the environment' });
  });

  it('passes route parameters, with an int constraint and an optional parameter', async () => {
    const both = await fetch(`${host.url}/api/items/42/details`);
    expect(both.status).toBe(200);
    expect(await both.json()).toEqual({ params: { id: '42', part: 'details' } });

    const optionalMissing = await fetch(`${host.url}/api/items/7`);
    expect(await optionalMissing.json()).toEqual({ params: { id: '7' } });

    const notAnInt = await fetch(`${host.url}/api/items/abc`);
    expect(notAnInt.status).toBe(404);
  });

  it('answers 404 for unknown routes and, like the real host, for a known route with another method', async () => {
    expect((await fetch(`${host.url}/api/nothing-here`)).status).toBe(404);
    expect((await fetch(`${host.url}/no-prefix/items/1`)).status).toBe(404);
    // items/{id} is GET only; the real host answers 404 here (azure-functions-host#10098).
    expect((await fetch(`${host.url}/api/items/1`, { method: 'DELETE' })).status).toBe(404);
    // Same template, different function by method.
    expect((await fetch(`${host.url}/api/items`, { method: 'POST' })).status).toBe(201);
  });

  it('round-trips JSON bodies through real HttpRequest and InvocationContext objects', async () => {
    const payload = { tenant: 'contoso', items: [1, 2, 3], nested: { ok: true } };
    const response = await fetch(`${host.url}/api/echo/json?page=2&size=10`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.received).toEqual(payload);
    expect(body.method).toBe('POST');
    expect(body.query).toEqual({ page: '2', size: '10' });
    expect(body.requestClass).toBe('HttpRequest');
    expect(body.contextClass).toBe('InvocationContext');
    expect(body.functionName).toBe('echo');
    expect(host.output()).toContain(`"invocationId":"${String(body.invocationId)}"`);
  });

  it('round-trips binary bodies byte for byte and reads a body as a stream', async () => {
    const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));
    const response = await fetch(`${host.url}/api/echo/bytes`, { method: 'PUT', body: bytes });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);

    const streamed = await fetch(`${host.url}/api/echo/stream`, { method: 'POST', body: bytes });
    expect(await streamed.json()).toEqual({ total: 5000 });
  });

  it('answers 413 to a request body over the limit and keeps serving', async () => {
    for (const size of [64 * 1024 + 1, 2 * 1024 * 1024]) {
      const tooBig = await fetch(`${host.url}/api/echo/bytes`, { method: 'POST', body: Buffer.alloc(size) });
      expect(tooBig.status).toBe(413);
    }
    const justFits = await fetch(`${host.url}/api/echo/bytes`, {
      method: 'POST',
      body: Buffer.alloc(64 * 1024),
    });
    expect(justFits.status).toBe(200);
  });

  it('sends the status, headers and cookies a handler returns', async () => {
    const response = await fetch(`${host.url}/api/cookies`);
    expect(response.status).toBe(201);
    expect(response.headers.get('x-fixture')).toBe('yes');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const cookies = response.headers.getSetCookie();
    expect(cookies).toContain('session=abc123; Path=/; Max-Age=60; HttpOnly; SameSite=Strict');
    expect(cookies).toContain('theme=dark');
    expect(await response.text()).toBe('cookies set');
  });

  it('sends a streamed response body completely', async () => {
    const response = await fetch(`${host.url}/api/stream/1000`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.split('\n').filter(Boolean)).toHaveLength(1000);
    expect(text.startsWith('line 0\nline 1\n')).toBe(true);
    expect(text.endsWith('line 999\n')).toBe(true);
  });

  it('answers 500 when a handler throws, logs the error, and stays up', async () => {
    const response = await fetch(`${host.url}/api/boom`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('');
    expect(host.output()).toContain('the fixture failed on purpose');
    expect((await fetch(`${host.url}/api/items/1`)).status).toBe(200);
  });

  it('logs an error thrown outside the invocation and stays up', async () => {
    expect((await fetch(`${host.url}/api/stray`)).status).toBe(202);
    await eventually(() => host.output().includes('stray error outside the invocation'), {
      what: 'the stray error to be logged',
    });
    expect((await fetch(`${host.url}/api/items/2`)).status).toBe(200);
  });

  it('fails an invocation that runs past host.json functionTimeout with 500', async () => {
    const response = await fetch(`${host.url}/api/slow`);
    expect(response.status).toBe(500);
    expect(host.output()).toMatch(/Timeout value of 00:00:03 exceeded by function 'slow'/);
  });

  it('runs app hooks around invocations', async () => {
    await fetch(`${host.url}/api/items/1`);
    const counts = (await (await fetch(`${host.url}/api/calls/hooks`)).json()) as Record<string, number>;
    expect(counts.items).toBeGreaterThanOrEqual(1);
  });

  it('resolves a %SETTING% schedule and fires the timer on it', async () => {
    expect(host.output()).toContain("tick: timerTrigger schedule '*/1 * * * * *'");
    const calls = await eventually(
      async () => {
        const list = (await (await fetch(`${host.url}/api/calls/tick`)).json()) as unknown[];
        return list.length >= 2 ? list : undefined;
      },
      { what: 'the every-second timer to fire twice' },
    );
    const first = calls[0] as { timer: { isPastDue: boolean; scheduleStatus: Record<string, string> } };
    expect(first.timer.isPastDue).toBe(false);
    expect(Date.parse(first.timer.scheduleStatus.next!)).toBeGreaterThan(
      Date.parse(first.timer.scheduleStatus.last!),
    );
  });

  it('runs a runOnStartup timer once when the host starts', async () => {
    expect(host.output()).toContain("startup: timerTrigger schedule '0 0 0 1 1 *' runOnStartup");
    const calls = await eventually(
      async () => {
        const list = (await (await fetch(`${host.url}/api/calls/startup`)).json()) as unknown[];
        return list.length > 0 ? list : undefined;
      },
      { what: 'the runOnStartup timer' },
    );
    expect(calls).toHaveLength(1);
  });

  it('runs a timer now through POST /admin/functions/{name} and answers 202', async () => {
    expect(host.output()).toContain("nightly: timerTrigger schedule '0 0 3 * * *'");
    const response = await fetch(`${host.url}/admin/functions/nightly`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: '' }),
    });
    expect(response.status).toBe(202);
    const calls = await eventually(
      async () => {
        const list = (await (await fetch(`${host.url}/api/calls/nightly`)).json()) as unknown[];
        return list.length > 0 ? list : undefined;
      },
      { what: 'the admin-invoked timer to run' },
    );
    const timer = (calls[0] as { timer: { isPastDue: boolean; scheduleStatus: { next: string } } }).timer;
    expect(timer.isPastDue).toBe(false);
    expect(new Date(timer.scheduleStatus.next).getUTCHours()).toBe(3);

    expect((await fetch(`${host.url}/admin/functions/no-such-function`, { method: 'POST' })).status).toBe(
      404,
    );
  });
});

describe('local Functions host: options and lifecycle', () => {
  let azurite: RunningAzurite;
  const settingsFile = path.join(fixture, 'fixture.settings.json');
  const env = () => ({ AzureWebJobsStorage: azurite.connectionString });
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('answers 405 with an Allow header instead of 404 when asked to', async () => {
    const host = await startHost({
      scriptRoot: fixture,
      settingsFile,
      env: env(),
      args: ['--method-not-allowed'],
    });
    try {
      const response = await fetch(`${host.url}/api/items/1`, { method: 'DELETE' });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET');
    } finally {
      await host.stop();
    }
  });

  it('refuses a busy port with a message naming it, and exits 1', async () => {
    const first = await startHost({ scriptRoot: fixture, settingsFile, env: env() });
    const port = Number(new URL(first.url).port);
    try {
      const error = await startHost({ scriptRoot: fixture, settingsFile, env: env(), port }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ exitCode: 1 });
      expect((error as Error).message).toContain(`Port ${port} is unavailable`);
    } finally {
      await first.stop();
    }
  });

  it('lets an in-flight request finish when stopped, then exits 0', async () => {
    const host = await startHost({ scriptRoot: fixture, settingsFile, env: env() });
    const pending = fetch(`${host.url}/api/hold/1500`);
    await eventually(() => host.output().includes("Executing 'hold'"), {
      what: 'the hold function to start',
    });
    const exitCode = await host.stop();
    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('held');
    expect(exitCode).toBe(0);
    expect(host.output()).toContain('Host stopped');
  });

  it('stops by itself, cleanly, when whoever read its output has gone', async () => {
    // The `npm start` or test process that spawned a host was killed: the host's next log line
    // failed with EPIPE, and it used to spin on that failure, ignoring SIGTERM, until SIGKILL.
    const host = await startHost({ scriptRoot: fixture, settingsFile, env: env() });
    try {
      host.closeOutput();
      await fetch(`${host.url}/api/hold/10`).catch(() => undefined); // the host logs this invocation
      const code = await Promise.race([
        host.exited,
        new Promise<string>((resolve) => setTimeout(() => resolve('still running after 20 s'), 20_000)),
      ]);
      expect(code).toBe(0);
    } finally {
      await host.stop();
    }
  });

  it('ends a stop that outlasts the grace period (a hanging appTerminate hook), exiting 1 and saying so', async () => {
    const host = await startHost({
      scriptRoot: fixture,
      settingsFile,
      env: { ...env(), FIXTURE_HANG_ON_TERMINATE: '1' },
      args: ['--shutdown-grace', '500'],
    });
    const code = await host.stop(); // SIGKILL after 15 s would give null
    expect(code).toBe(1);
    expect(host.output()).toContain('The host did not stop within its grace period: exiting now');
    expect(host.output()).not.toContain('Host stopped');
  });

  it('is started with the settings a process reads only at its start (malloc, NODE_OPTIONS) in its environment', async () => {
    const host = await startHost({ scriptRoot: fixture, settingsFile, env: env() });
    try {
      // The environment the process started with, as glibc and Node.js read it.
      const startEnvironment = readFileSync(`/proc/${host.pid}/environ`, 'utf8').split('\0');
      expect(startEnvironment).toContain('MALLOC_ARENA_MAX=2');
      expect(host.output()).not.toContain('take effect only when a process starts');
    } finally {
      await host.stop();
    }
  });

  it('says so when started by hand without them: they would not apply', async () => {
    const environment: Record<string, string | undefined> = { ...process.env, ...env() };
    delete environment.MALLOC_ARENA_MAX;
    const child = spawn(
      process.execPath,
      [hostCli, '--script-root', fixture, '--port', '0', '--settings', settingsFile],
      { env: environment, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
    createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
    try {
      const warning = await eventually(
        () => lines.find((line) => line.includes('take effect only when a process starts')),
        { what: 'the host to warn' },
      );
      expect(warning).toContain(
        'Settings MALLOC_ARENA_MAX take effect only when a process starts, and this host was started without them',
      );
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('stops with an unknown %SETTING% in a schedule, naming it', async () => {
    const error = await startHost({
      scriptRoot: fixture,
      settingsFile,
      env: { ...env(), TICK_SCHEDULE: '' },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 1 });
    expect((error as Error).message).toContain(
      "Function 'tick': '%TICK_SCHEDULE%' does not resolve to a value",
    );
  });
});
