import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { eventually, repoRoot } from '../support/host';

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** `npm run demo:token` against the stack's data dir: the demo admin's (or an operator's) access token. */
async function demoToken(dataDir: string, operator = false): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    path.join(repoRoot, 'dist', 'dev', 'demo-token.js'),
    '--data-dir',
    dataDir,
    ...(operator ? ['--operator'] : []),
  ]);
  return stdout.trim();
}

describe('npm start (dist/dev/start.js)', () => {
  it('creates local.settings.json, brings up Azurite and the host, answers health, onboards the demo tenant, and SIGINT stops everything', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'm365-start-'));
    const settings = path.join(dir, 'local.settings.json');
    const dataDir = path.join(dir, 'data');
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'dist', 'dev', 'start.js'),
        '--free-ports',
        '--settings',
        settings,
        '--data-dir',
        dataDir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
    createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await eventually(() => lines.some((l) => l.includes('Press Ctrl-C to stop everything.')), {
        timeoutMs: 150_000,
        what: 'the stack to come up and the demo tenant to be set up',
      }).catch((error: Error) => {
        throw new Error(`${error.message}\n${lines.join('\n')}`);
      });
      const output = lines.join('\n');
      expect(output).toContain('from local.settings.sample.json');
      expect(existsSync(settings)).toBe(true);
      if (existsSync(path.join(repoRoot, 'dist', 'dev', 'simulator', 'index.js'))) {
        expect(output).toMatch(/M365 simulator\s+https:\/\/127\.0\.0\.1:\d+/);
      } else {
        expect(output).toContain('Microsoft 365 simulator: not available yet');
      }

      const hostUrl = /Functions host\s+(http:\/\/127\.0\.0\.1:\d+)\/api/.exec(output)?.[1];
      const blobPort = Number(/Azurite\s+blob http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
      expect(hostUrl).toBeTruthy();
      expect(output).toContain(`health: ${hostUrl}/api/health → healthy`);
      const health = await fetch(`${hostUrl}/api/health`);
      expect(health.status).toBe(200);

      if (existsSync(path.join(repoRoot, 'dist', 'dev', 'simulator', 'index.js'))) {
        // The demo tenant went through the operator API and the admin consent, and was discovered.
        expect(output).toMatch(/Demo tenant\s+.+ \([0-9a-f-]{36}\): active, \d+ resources discovered/);
        expect(output).toContain('created the customer tenant');
        expect(output).toContain('export TOKEN=$(npm run --silent demo:token)');
        const tenantId = /Demo tenant\s+.+ \(([0-9a-f-]{36})\)/.exec(output)![1]!;
        const api = async <T>(route: string, token: string): Promise<T> => {
          const response = await fetch(`${hostUrl}/api${route}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          expect(response.status).toBe(200);
          return (await response.json()) as T;
        };
        const operator = await api<{ status: string }>(
          `/v1/operator/tenants/${tenantId}`,
          await demoToken(dataDir, true),
        );
        expect(operator).toMatchObject({ status: 'active', plan: 'full' });
        const admin = await demoToken(dataDir);
        const dashboard = await eventually(
          async () => {
            const d = await api<{
              tenant: { status: string };
              workloads: { exchange: { discovered: number; protected: number } };
            }>('/v1/dashboard', admin);
            return d.workloads.exchange.discovered > 0 ? d : undefined;
          },
          { what: 'discovered mailboxes on the dashboard' },
        );
        expect(dashboard.tenant.status).toBe('active');
        expect(dashboard.workloads.exchange.protected).toBe(3);
        const resources = await api<{ items: { kind: string; lastSnapshot: unknown }[] }>(
          '/v1/resources?protection=protected&limit=200',
          admin,
        );
        expect(resources.items.map((r: { kind: string }) => r.kind).sort()).toEqual([
          'group',
          'mailbox',
          'mailbox',
          'mailbox',
          'onedrive',
          'onedrive',
          'onedrive',
        ]);
        // Their first snapshots were queued (back up now) and the worker takes them up.
        expect(output).toContain('started the first snapshot of 7 resources');
        await eventually(
          async () =>
            (
              await api<{ items: { lastSnapshot: unknown }[] }>(
                '/v1/resources?protection=protected&limit=200',
                admin,
              )
            ).items.every((r) => r.lastSnapshot !== null),
          { timeoutMs: 60_000, intervalMs: 500, what: 'a snapshot of every protected resource' },
        );
      }

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(await refusesConnections(Number(new URL(hostUrl!).port))).toBe(true);
      expect(await refusesConnections(blobPort)).toBe(true);
    } finally {
      // After a failure too, stop it the way a user does, so it stops the host and Azurite it
      // started (they run in their own process groups and would outlive a killed start.js).
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        const stopped = await Promise.race([
          exited.then(() => true),
          new Promise<false>((resolve) => setTimeout(() => resolve(false), 30_000).unref()),
        ]);
        if (!stopped) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
