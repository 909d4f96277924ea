/**
 * SharePoint sites: `/sites/getAllSites` (every site collection, OneDrive personal sites
 * included, as app-only Graph returns them), `/sites?search=`, `/sites/root`, `/sites/{id}`.
 * Libraries (`/sites/{id}/drives`, `/sites/{id}/drive`) are served by drives.ts.
 */
import { permissions } from '../auth/graph-auth';
import type { GraphCall } from '../context';
import { notFound } from '../http/errors';
import { applySelect, contextUrl } from '../http/odata';
import { json } from '../http/types';
import type { SiteRec } from '../store/model';
import { listQuery, pagedList, type GraphRouter } from './route';

export function siteEntity(site: SiteRec): Record<string, unknown> {
  return {
    id: site.id,
    name: site.name,
    displayName: site.displayName,
    description: site.description,
    createdDateTime: site.createdDateTime,
    lastModifiedDateTime: site.lastModifiedDateTime,
    webUrl: `https://${site.host}${site.urlPath}`,
    isPersonalSite: site.kind === 'personal',
    root: {},
    siteCollection: { hostName: site.host, dataLocationCode: 'EUR', root: {} },
  };
}

export function resolveSite(call: GraphCall, id: string): SiteRec {
  const site =
    call.tenant.sites[id] ??
    (id === 'root' ? Object.values(call.tenant.sites).find((s) => s.kind === 'root') : undefined);
  if (!site) throw notFound.drive();
  return site;
}

function sortedSites(call: GraphCall): SiteRec[] {
  return Object.values(call.tenant.sites).sort((a, b) =>
    a.createdDateTime < b.createdDateTime
      ? -1
      : a.createdDateTime > b.createdDateTime
        ? 1
        : a.id < b.id
          ? -1
          : 1,
  );
}

export function registerSites(router: GraphRouter): void {
  const read = { roles: permissions.sitesRead, deny: 'files' as const };
  const list =
    (filter: (call: GraphCall, s: SiteRec, search: string | undefined) => boolean) => (call: GraphCall) => {
      const { query, offset } = listQuery(call);
      const search = query.search ?? call.req.query.get('search') ?? undefined;
      if (search !== undefined) query.search = search;
      const sites = sortedSites(call).filter((s) => filter(call, s, query.search));
      call.extraHeaders = {
        ...call.extraHeaders,
        ...call.sim.throttling.chargeSharePoint(call.tenant.id, 2),
      };
      return pagedList(call, query, offset, sites, (s) => applySelect(siteEntity(s), query.select), {
        default: 200,
        max: 999,
        context: contextUrl(call.sim.graphBase, 'sites'),
      });
    };
  router.add('GET', 'sites/getAllSites', { ...read, handle: list(() => true) });
  router.add('GET', 'sites', {
    ...read,
    handle: list((_call, site, search) => {
      if (search === undefined || search === '*' || search === '') return true;
      const term = search.replace(/^"|"$/g, '').toLowerCase();
      return [site.displayName, site.name, site.description, site.urlPath].some((v) =>
        v.toLowerCase().includes(term),
      );
    }),
  });
  router.add('GET', 'sites/{siteId}', {
    ...read,
    handle: (call) => {
      const site = resolveSite(call, call.params['siteId']!);
      const { query } = listQuery(call);
      call.extraHeaders = {
        ...call.extraHeaders,
        ...call.sim.throttling.chargeSharePoint(call.tenant.id, 1),
      };
      return json(200, {
        '@odata.context': contextUrl(call.sim.graphBase, 'sites/$entity'),
        ...applySelect(siteEntity(site), query.select),
      });
    },
  });
}
