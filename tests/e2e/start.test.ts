import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
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

describe('npm start (dist/dev/start.js)', () => {
  it('creates local.settings.json, brings up Azurite and the host, answers health, and SIGINT stops everything', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'm365-start-'));
    const settings = path.join(dir, 'local.settings.json');
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'dist', 'dev', 'start.js'),
        '--free-ports',
        '--settings',
        settings,
        '--data-dir',
        path.join(dir, 'data'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
    createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await eventually(() => lines.some((l) => l.includes('Press Ctrl-C to stop everything.')), {
        timeoutMs: 45_000,
        what: 'the stack to come up',
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

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(await refusesConnections(Number(new URL(hostUrl!).port))).toBe(true);
      expect(await refusesConnections(blobPort)).toBe(true);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
