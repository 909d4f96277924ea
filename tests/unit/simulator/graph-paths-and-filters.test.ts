import { describe, expect, it } from 'vitest';
import { compileFilter, getterFor } from '../../../dev/simulator/graph/filter';
import { graphSegments } from '../../../dev/simulator/http/router';
import { parseArgs } from '../../../dev/simulator/cli';

describe('Graph path normalisation', () => {
  it('accepts the spellings Graph accepts for one resource', () => {
    expect(graphSegments("/users/u1/mailFolders('Inbox')/messages/microsoft.graph.delta")).toEqual([
      'users',
      'u1',
      'mailFolders',
      'Inbox',
      'messages',
      'delta',
    ]);
    expect(graphSegments('/users/u1/mailFolders/inbox/messages/delta')).toEqual([
      'users',
      'u1',
      'mailFolders',
      'inbox',
      'messages',
      'delta',
    ]);
    expect(graphSegments('/sites/microsoft.graph.getAllSites')).toEqual(['sites', 'getAllSites']);
  });

  it('turns drive item paths into a $path segment, decoded, with what follows', () => {
    expect(graphSegments('/drives/b!x/root:/Docs/R%C3%A9sum%C3%A9%20v2.docx:/content')).toEqual([
      'drives',
      'b!x',
      'root',
      '$path',
      'Docs/Résumé v2.docx',
      'content',
    ]);
    expect(graphSegments('/drives/d/root:/a/b.txt')).toEqual(['drives', 'd', 'root', '$path', 'a/b.txt']);
    expect(graphSegments('/drives/d/items/01ABC:/new.bin:/createUploadSession')).toEqual([
      'drives',
      'd',
      'items',
      '01ABC',
      '$path',
      'new.bin',
      'createUploadSession',
    ]);
  });
});

describe('$filter subset', () => {
  const user = getterFor({
    userType: 'Member',
    accountEnabled: true,
    displayName: 'Zoë Adams',
    groupTypes: ['Unified'],
    createdDateTime: '2024-05-01T00:00:00Z',
    mail: null,
  });
  const known = () => true;
  const run = (text: string) => compileFilter(text, known, 'microsoft.graph.user')(user);

  it('evaluates comparisons, functions, lambdas, in, and/or/not', () => {
    expect(run("userType eq 'Member'")).toBe(true);
    expect(run("userType eq 'member'")).toBe(true);
    expect(run("userType ne 'Member'")).toBe(false);
    expect(run('accountEnabled eq true and mail eq null')).toBe(true);
    expect(run("startswith(displayName,'zo')")).toBe(true);
    expect(run("groupTypes/any(c:c eq 'Unified')")).toBe(true);
    expect(run("groupTypes/any(c:c eq 'DynamicMembership')")).toBe(false);
    expect(run("userType in ('Guest','Member')")).toBe(true);
    expect(run("not (userType eq 'Guest') or accountEnabled eq false")).toBe(true);
    expect(run('createdDateTime ge 2024-01-01T00:00:00Z')).toBe(true);
    expect(run('createdDateTime lt 2024-01-01T00:00:00Z')).toBe(false);
  });

  it('rejects unknown properties and bad syntax with 400 errors', () => {
    expect(() => compileFilter("shoeSize eq 'x'", (p) => p !== 'shoeSize', 'microsoft.graph.user')).toThrow(
      /Could not find a property named 'shoeSize'/,
    );
    expect(() => compileFilter("userType eq 'Member' and", known, 'microsoft.graph.user')).toThrow(
      /syntax error/,
    );
  });
});

describe('simulator command line', () => {
  it('maps every shape field and limit to a kebab-case flag', () => {
    const options = parseArgs([
      '--port',
      '7100',
      '--seed',
      '42',
      '--tenants',
      '2',
      '--users',
      '25',
      '--messages-per-mailbox=50',
      '--latency-ms',
      '5',
      '--mailbox-concurrency',
      '3',
      '--data-dir',
      '.data/sim',
      '--no-consent',
    ]);
    expect(options).toMatchObject({
      port: 7100,
      seed: 42,
      tenants: 2,
      dataDir: '.data/sim',
      preconsented: false,
    });
    expect(options.shape).toEqual({ users: 25, messagesPerMailbox: 50 });
    expect(options.limits).toMatchObject({ latencyMs: 5, mailboxConcurrency: 3 });
    expect(() => parseArgs(['--nonsense', '1'])).toThrow(/unknown option/);
  });
});
