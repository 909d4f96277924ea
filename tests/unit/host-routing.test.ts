import { describe, expect, it } from 'vitest';
import { globToRegExp } from '../../dev/host/app-loader';
import { parseDuration, resolveSettingPlaceholders } from '../../dev/host/host-config';
import { compileRoute, comparePrecedence, matchRoute } from '../../dev/host/http-routing';

describe('local host route templates', () => {
  it('matches literals case-insensitively and decodes parameters', () => {
    const route = compileRoute('v1/tenants/{tenantId}/resources/{resourceId}');
    expect(matchRoute(route, '/V1/Tenants/contoso/resources/a%20b')).toEqual({
      tenantId: 'contoso',
      resourceId: 'a b',
    });
    expect(matchRoute(route, '/v1/tenants/contoso/resources')).toBeUndefined();
    expect(matchRoute(route, '/v1/tenants/contoso/resources/x/')).toEqual({
      tenantId: 'contoso',
      resourceId: 'x',
    });
  });

  it('supports optional parameters, defaults, catch-alls and constraints', () => {
    expect(matchRoute(compileRoute('items/{id:int}/{part?}'), '/items/5')).toEqual({ id: '5' });
    expect(matchRoute(compileRoute('items/{id:int}/{part?}'), '/items/x')).toBeUndefined();
    expect(matchRoute(compileRoute('pages/{page=1}'), '/pages')).toEqual({ page: '1' });
    expect(matchRoute(compileRoute('files/{*path}'), '/files/a/b/c.txt')).toEqual({ path: 'a/b/c.txt' });
    expect(matchRoute(compileRoute('x/{id:guid}'), '/x/2f1c4a9e-0b7d-4c5e-9a51-3f0f0b8f7c11')).toBeTruthy();
    expect(matchRoute(compileRoute('x/{id:guid}'), '/x/nope')).toBeUndefined();
    expect(matchRoute(compileRoute('x/{n:range(1,9)}'), '/x/10')).toBeUndefined();
    expect(matchRoute(compileRoute('download/{name}.{ext}'), '/download/report.zip')).toEqual({
      name: 'report',
      ext: 'zip',
    });
  });

  it('tries literal segments before parameters', () => {
    const routes = [compileRoute('items/{id}'), compileRoute('items/special')].sort(comparePrecedence);
    expect(routes[0]!.template).toBe('items/special');
  });
});

describe('local host configuration helpers', () => {
  it('parses host.json TimeSpan durations', () => {
    expect(parseDuration('00:10:00', 'x')).toBe(600_000);
    expect(parseDuration('1.02:00:00', 'x')).toBe(26 * 3600_000);
    expect(parseDuration('00:00:00.500', 'x')).toBe(500);
    expect(() => parseDuration('10m', 'functionTimeout')).toThrow(/functionTimeout "10m"/);
  });

  it('resolves %SETTING% placeholders and names a missing setting', () => {
    expect(resolveSettingPlaceholders('%SCHEDULE%', { SCHEDULE: '0 0 */6 * * *' }, 'f')).toBe(
      '0 0 */6 * * *',
    );
    expect(() => resolveSettingPlaceholders('%NOPE%', {}, "Function 'f'")).toThrow(
      "Function 'f': '%NOPE%' does not resolve to a value (no setting named NOPE)",
    );
  });

  it('matches package.json main globs like the worker', () => {
    expect(globToRegExp('*.js').test('health.js')).toBe(true);
    expect(globToRegExp('*.js').test('sub/health.js')).toBe(false);
    expect(globToRegExp('**/*.js').test('sub/deeper/health.js')).toBe(true);
    expect(globToRegExp('{index.js,functions/*.js}').test('functions/a.js')).toBe(true);
  });
});
