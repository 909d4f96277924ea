import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let version: string | undefined;

/** The app's version from its package.json (found by walking up from the built file). */
export function appVersion(): string {
  if (version) return version;
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'm365-backup' && pkg.version) return (version = pkg.version);
    }
    const parent = dirname(dir);
    if (parent === dir) return (version = '0.0.0-unknown');
    dir = parent;
  }
}
