import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The files the real worker loads for a v4 app: `main` of the script root's package.json, which may
 * be a glob (`dist/functions/*.js`). Supports `*`, `**`, `?` and `{a,b}`, like the worker's glob.
 */
export function findEntryPoints(scriptRoot: string): { main: string; files: string[] } {
  const packageFile = path.join(scriptRoot, 'package.json');
  if (!existsSync(packageFile)) throw new Error(`No package.json in the script root ${scriptRoot}`);
  const main = (JSON.parse(readFileSync(packageFile, 'utf8')) as { main?: unknown }).main;
  if (typeof main !== 'string' || main.trim() === '') {
    throw new Error(`${packageFile} has no "main" (a file or glob naming the app's function files)`);
  }
  const pattern = main.replace(/\\/g, '/').replace(/^\.\//, '');
  if (!/[*?{]/.test(pattern)) {
    const file = path.resolve(scriptRoot, pattern);
    if (!existsSync(file))
      throw new Error(`"main" names ${pattern}, which does not exist (did the build run?)`);
    return { main, files: [file] };
  }
  const segments = pattern.split('/');
  const firstGlob = segments.findIndex((s) => /[*?{]/.test(s));
  const base = path.resolve(scriptRoot, ...segments.slice(0, firstGlob));
  const matcher = globToRegExp(segments.slice(firstGlob).join('/'));
  const files = existsSync(base)
    ? listFiles(base)
        .filter((file) => matcher.test(path.relative(base, file).split(path.sep).join('/')))
        .sort()
    : [];
  if (files.length === 0) {
    throw new Error(`"main" glob ${pattern} matches no files under ${scriptRoot} (did the build run?)`);
  }
  return { main, files };
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (entry.isFile() || (entry.isSymbolicLink() && statSync(full).isFile())) out.push(full);
  }
  return out;
}

export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more folders; a trailing `**` matches anything.
      if (glob[i + 2] === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) {
        source += '\\{';
        continue;
      }
      source += `(?:${glob
        .slice(i + 1, end)
        .split(',')
        .map((alt) => globToRegExp(alt).source.slice(1, -1))
        .join('|')})`;
      i = end;
    } else source += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
