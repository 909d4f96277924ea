/**
 * The simulated Entra ID (login.microsoftonline.com): OpenID metadata and JWKS, the v2.0 token
 * endpoint (client credentials with a secret or a certificate assertion; authorization code with
 * PKCE and refresh tokens for the portal), the authorize page that lets you pick a user, and
 * admin consent, which records that a tenant granted the backup app its application roles.
 */
import { createHash, randomUUID, createPublicKey, X509Certificate } from 'node:crypto';
import type { AppToken, SimContext } from '../context';
import { guid, randomToken } from '../ids';
import type { SimRequest, SimResponse } from '../http/types';
import { html, json, redirect } from '../http/types';
import type { TenantState, UserRec } from '../store/model';
import { decodeJwt, signJwt, thumbprints, verifySignature } from './jwt';
import { graphAudiences } from './graph-auth';

interface AuthCode {
  tenantId: string;
  userId: string;
  clientId: string;
  redirectUri: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  scope: string;
  nonce?: string;
  expiresAt: number;
}

const multiTenantAliases = ['common', 'organizations', 'consumers'];

export class EntraId {
  private readonly codes = new Map<string, AuthCode>();
  private readonly refreshTokens = new Map<string, Omit<AuthCode, 'expiresAt' | 'redirectUri'>>();

  constructor(private readonly sim: SimContext) {}

  /** Registers an extra certificate for the app's client assertions. */
  addCertificate(pem: string): void {
    const cert = new X509Certificate(pem);
    const prints = thumbprints(cert.raw);
    this.sim.app.certificates.push({ ...prints, publicKey: createPublicKey(pem), pem });
  }

  async handle(req: SimRequest): Promise<SimResponse | undefined> {
    const segments = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    const [tenantSegment, ...rest] = segments;
    if (!tenantSegment) return undefined;
    const route = rest.join('/').toLowerCase();
    if (
      req.method === 'GET' &&
      (route === 'v2.0/.well-known/openid-configuration' || route === '.well-known/openid-configuration')
    ) {
      return this.openIdConfiguration(tenantSegment, route.startsWith('v2.0'));
    }
    if (req.method === 'GET' && (route === 'discovery/v2.0/keys' || route === 'discovery/keys'))
      return json(200, this.sim.keys.jwks());
    if (req.method === 'GET' && tenantSegment === 'common' && route === 'discovery/instance')
      return this.instanceDiscovery(req);
    if (req.method === 'POST' && (route === 'oauth2/v2.0/token' || route === 'oauth2/token'))
      return this.token(tenantSegment, req);
    if (req.method === 'GET' && route === 'oauth2/v2.0/authorize') return this.authorize(tenantSegment, req);
    if (req.method === 'GET' && (route === 'adminconsent' || route === 'v2.0/adminconsent'))
      return this.adminConsent(tenantSegment, req);
    if (req.method === 'GET' && route === 'oauth2/v2.0/logout') {
      const target = req.query.get('post_logout_redirect_uri');
      return target ? redirect(target) : html(200, '<p>You signed out of your account.</p>');
    }
    return undefined;
  }

  private issuerV2(tenantId: string): string {
    return `${this.sim.baseUrl}/${tenantId}/v2.0`;
  }

  private openIdConfiguration(tenantSegment: string, v2: boolean): SimResponse {
    const tenant = this.sim.state.tenantByIdOrDomain(tenantSegment);
    const tid = multiTenantAliases.includes(tenantSegment) ? '{tenantid}' : tenant?.id;
    if (!tid) return this.tenantNotFound(tenantSegment);
    const base = `${this.sim.baseUrl}/${tenantSegment}`;
    return json(200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${this.sim.baseUrl}/${tenantSegment}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: v2 ? this.issuerV2(tid) : `https://sts.windows.net/${tid}/`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${this.sim.baseUrl}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'nonce',
        'preferred_username',
        'name',
        'tid',
        'ver',
        'oid',
        'roles',
      ],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    });
  }

  private instanceDiscovery(req: SimRequest): SimResponse {
    const host = new URL(this.sim.baseUrl).host;
    return json(200, {
      tenant_discovery_endpoint: `${this.sim.baseUrl}/common/v2.0/.well-known/openid-configuration`,
      'api-version': req.query.get('api-version') ?? '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }

  private aadError(status: number, error: string, code: number, description: string): SimResponse {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = this.sim.state
      .now()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z');
    return json(
      status,
      {
        error,
        error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
        error_codes: [code],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
        error_uri: `${this.sim.baseUrl}/error?code=${code}`,
      },
      { 'cache-control': 'no-store, no-cache' },
    );
  }

  private tenantNotFound(tenantSegment: string): SimResponse {
    return this.aadError(
      400,
      'invalid_request',
      90002,
      `Tenant '${tenantSegment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  }

  private async token(tenantSegment: string, req: SimRequest): Promise<SimResponse> {
    const form = new URLSearchParams(req.body.toString('utf8'));
    const basic = /^Basic\s+(.+)$/i.exec(req.headers['authorization'] ?? '');
    let clientId = form.get('client_id') ?? '';
    let clientSecret = form.get('client_secret');
    if (basic) {
      const [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id ?? '');
      clientSecret = decodeURIComponent(secret ?? '');
    }
    const grantType = form.get('grant_type');
    if (grantType === 'client_credentials')
      return this.clientCredentials(tenantSegment, form, clientId, clientSecret);
    if (grantType === 'authorization_code') return this.authorizationCode(tenantSegment, form, clientId);
    if (grantType === 'refresh_token') return this.refresh(form, clientId);
    return this.aadError(
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grantType ?? ''}'.`,
    );
  }

  private clientCredentials(
    tenantSegment: string,
    form: URLSearchParams,
    clientId: string,
    clientSecret: string | null,
  ): SimResponse {
    if (multiTenantAliases.includes(tenantSegment)) {
      return this.aadError(
        400,
        'invalid_request',
        1002012,
        "The provided value for scope https://graph.microsoft.com/.default is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI) and must target a tenant, not 'common'.",
      );
    }
    const tenant = this.sim.state.tenantByIdOrDomain(tenantSegment);
    if (!tenant) return this.tenantNotFound(tenantSegment);
    const app = this.sim.app;
    if (clientId !== app.clientId || !tenant.consent[clientId]) {
      return this.aadError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    let appidacr = '1';
    const assertion = form.get('client_assertion');
    if (assertion) {
      const problem = this.checkAssertion(assertion, clientId);
      if (problem) return this.aadError(401, 'invalid_client', problem.code, problem.message);
      appidacr = '2';
    } else if (clientSecret !== app.clientSecret) {
      return this.aadError(
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      );
    }
    // The v1 endpoint names the resource instead of a scope.
    const resource = form.get('resource');
    const scope = form.get('scope') ?? (resource ? `${resource.replace(/\/$/, '')}/.default` : '');
    const scopes = scope.split(' ').filter(Boolean);
    const graphScope = scopes.find((s) =>
      graphAudiences.some((a) => s === `${a.replace(/\/$/, '')}/.default`),
    );
    if (!graphScope || scopes.length !== 1) {
      return this.aadError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const lifetime = this.sim.limits.accessTokenLifetimeSec;
    return json(
      200,
      {
        token_type: 'Bearer',
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token: this.issueAppToken(tenant, tenant.consent[clientId]!.roles, appidacr),
      },
      { 'cache-control': 'no-store, no-cache' },
    );
  }

  /** The object id of the app's service principal in a tenant. */
  servicePrincipalId(tenantId: string): string {
    return guid(tenantId, 'service-principal', this.sim.app.clientId);
  }

  issueAppToken(
    tenant: TenantState,
    roles: string[],
    appidacr = '1',
    lifetimeSec = this.sim.limits.accessTokenLifetimeSec,
  ): string {
    const now = Math.floor(this.sim.state.now().getTime() / 1000);
    const oid = this.servicePrincipalId(tenant.id);
    return signJwt(
      {
        aud: 'https://graph.microsoft.com',
        iss: `https://sts.windows.net/${tenant.id}/`,
        iat: now,
        nbf: now,
        exp: now + lifetimeSec,
        aio: randomToken(16),
        app_displayname: this.sim.app.displayName,
        appid: this.sim.app.clientId,
        appidacr,
        idp: `https://sts.windows.net/${tenant.id}/`,
        idtyp: 'app',
        oid,
        rh: randomToken(12),
        roles,
        sub: oid,
        tenant_region_scope: 'EU',
        tid: tenant.id,
        uti: randomToken(16),
        ver: '1.0',
        wids: ['0997a1d0-0d1d-4acb-b408-d5ca73121e90'],
        xms_tcdt: now - 86400 * 365,
      },
      this.sim.keys.privateKey,
      { kid: this.sim.keys.kid, x5t: this.sim.keys.kid },
    );
  }

  private checkAssertion(assertion: string, clientId: string): { code: number; message: string } | undefined {
    const jwt = decodeJwt(assertion);
    if (!jwt) return { code: 50027, message: 'JWT token is invalid or malformed.' };
    const cert = this.sim.app.certificates.find(
      (c) =>
        (jwt.header.x5t && c.x5t === jwt.header.x5t) ||
        (jwt.header['x5t#S256'] && c.x5tS256 === jwt.header['x5t#S256']),
    );
    if (!cert) {
      return {
        code: 700027,
        message: `Client assertion contains an invalid signature. [Reason - The key was not found.] Thumbprint of key used by client: '${jwt.header.x5t ?? jwt.header['x5t#S256'] ?? ''}'.`,
      };
    }
    if (!verifySignature(jwt, cert.publicKey))
      return { code: 700027, message: 'Client assertion failed signature validation.' };
    const p = jwt.payload;
    const now = Math.floor(this.sim.state.now().getTime() / 1000);
    if (p['iss'] !== clientId || p['sub'] !== clientId)
      return { code: 700023, message: 'Client assertion audience claim does not match Realm issuer.' };
    if (typeof p['exp'] !== 'number' || p['exp'] < now - 300)
      return { code: 700024, message: 'Client assertion is not within its valid time range.' };
    if (typeof p['aud'] !== 'string' || !/\/oauth2\/(v2\.0\/)?token$/.test(p['aud'])) {
      return { code: 700021, message: 'Client assertion audience claim does not match Realm issuer.' };
    }
    return undefined;
  }

  // ---- Portal sign-in (authorization code + PKCE) ----

  private tenantsFor(tenantSegment: string): TenantState[] {
    if (multiTenantAliases.includes(tenantSegment)) return this.sim.state.tenants();
    const tenant = this.sim.state.tenantByIdOrDomain(tenantSegment);
    return tenant ? [tenant] : [];
  }

  private pickUser(
    tenants: TenantState[],
    hint: string | null,
  ): { tenant: TenantState; user: UserRec } | undefined {
    if (!hint) return undefined;
    for (const tenant of tenants) {
      const user = this.sim.state.user(tenant, hint);
      if (user && user.accountEnabled) return { tenant, user };
    }
    return undefined;
  }

  private userPicker(
    title: string,
    tenants: TenantState[],
    link: (tenant: TenantState, user: UserRec) => string,
  ): SimResponse {
    const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const sections = tenants
      .map((tenant) => {
        const users = Object.values(tenant.users).filter(
          (u) => !u.removed && u.accountEnabled && u.userType === 'Member',
        );
        const items = users
          .map((u) => {
            const roles = tenant.portalRoles[u.id]?.join(', ') ?? 'no portal role';
            return `<li><a href="${esc(link(tenant, u))}">${esc(u.displayName)}</a> &lt;${esc(u.userPrincipalName)}&gt; <small>(${esc(roles)})</small></li>`;
          })
          .join('\n');
        return `<h2>${esc(tenant.displayName)} <small>${esc(tenant.domain)}</small></h2>\n<ul>\n${items}\n</ul>`;
      })
      .join('\n');
    return html(
      200,
      `<!doctype html>\n<html><head><meta charset="utf-8"><title>${esc(title)}</title></head>\n<body><h1>${esc(title)}</h1>\n<p>Microsoft 365 simulator: pick an account.</p>\n${sections}\n</body></html>`,
    );
  }

  private authorize(tenantSegment: string, req: SimRequest): SimResponse {
    const q = req.query;
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri');
    if (clientId !== this.sim.portal.clientId || !redirectUri) {
      return html(
        400,
        `<p>AADSTS700016: Application with identifier '${clientId.replace(/[<>&"]/g, '')}' was not found.</p>`,
      );
    }
    const tenants = this.tenantsFor(tenantSegment);
    if (tenants.length === 0) return html(400, '<p>AADSTS90002: Tenant not found.</p>');
    const picked = this.pickUser(tenants, q.get('sim_user'));
    if (!picked) {
      return this.userPicker('Sign in', tenants, (tenant, user) => {
        const params = new URLSearchParams(q);
        params.set('sim_user', user.id);
        return `${this.sim.baseUrl}/${tenant.id}/oauth2/v2.0/authorize?${params.toString()}`;
      });
    }
    const code = randomToken(32);
    this.codes.set(code, {
      tenantId: picked.tenant.id,
      userId: picked.user.id,
      clientId,
      redirectUri,
      codeChallenge: q.get('code_challenge') ?? undefined,
      codeChallengeMethod: q.get('code_challenge_method') ?? undefined,
      scope: q.get('scope') ?? 'openid profile',
      nonce: q.get('nonce') ?? undefined,
      expiresAt: this.sim.state.now().getTime() + 10 * 60_000,
    });
    const params = new URLSearchParams({ code });
    const state = q.get('state');
    if (state !== null) params.set('state', state);
    params.set(
      'client_info',
      Buffer.from(JSON.stringify({ uid: picked.user.id, utid: picked.tenant.id })).toString('base64url'),
    );
    const mode = q.get('response_mode') ?? 'query';
    if (mode === 'fragment') return redirect(`${redirectUri}#${params.toString()}`);
    if (mode === 'form_post') {
      const inputs = [...params]
        .map(([k, v]) => `<input type="hidden" name="${k}" value="${v.replace(/"/g, '&quot;')}">`)
        .join('');
      return html(
        200,
        `<html><body onload="document.forms[0].submit()"><form method="post" action="${redirectUri}">${inputs}</form></body></html>`,
      );
    }
    return redirect(`${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${params.toString()}`);
  }

  private authorizationCode(tenantSegment: string, form: URLSearchParams, clientId: string): SimResponse {
    const code = form.get('code') ?? '';
    const grant = this.codes.get(code);
    this.codes.delete(code);
    if (!grant || grant.expiresAt < this.sim.state.now().getTime() || grant.clientId !== clientId) {
      return this.aadError(
        400,
        'invalid_grant',
        70008,
        'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
      );
    }
    if (form.get('redirect_uri') !== grant.redirectUri) {
      return this.aadError(
        400,
        'invalid_grant',
        500112,
        'The reply address does not match the reply address provided when requesting the authorization code.',
      );
    }
    if (grant.codeChallenge) {
      const verifier = form.get('code_verifier') ?? '';
      const computed =
        grant.codeChallengeMethod === 'S256'
          ? createHash('sha256').update(verifier).digest('base64url')
          : verifier;
      if (computed !== grant.codeChallenge) {
        return this.aadError(
          400,
          'invalid_grant',
          501481,
          'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
        );
      }
    }
    void tenantSegment;
    return this.userTokens(grant);
  }

  private refresh(form: URLSearchParams, clientId: string): SimResponse {
    const grant = this.refreshTokens.get(form.get('refresh_token') ?? '');
    if (!grant || grant.clientId !== clientId) {
      return this.aadError(
        400,
        'invalid_grant',
        9002313,
        'Invalid request. Request is malformed or invalid.',
      );
    }
    return this.userTokens(grant);
  }

  private userTokens(grant: Omit<AuthCode, 'expiresAt' | 'redirectUri'>): SimResponse {
    const tenant = this.sim.state.tenant(grant.tenantId);
    const user = tenant ? this.sim.state.user(tenant, grant.userId) : undefined;
    if (!tenant || !user)
      return this.aadError(400, 'invalid_grant', 50034, 'The user account does not exist in the directory.');
    const now = Math.floor(this.sim.state.now().getTime() / 1000);
    const lifetime = this.sim.limits.accessTokenLifetimeSec;
    const roles = tenant.portalRoles[user.id] ?? [];
    const common = {
      iss: this.issuerV2(tenant.id),
      iat: now,
      nbf: now,
      exp: now + lifetime,
      tid: tenant.id,
      oid: user.id,
      sub: guid('sub', tenant.id, user.id, grant.clientId),
      name: user.displayName,
      preferred_username: user.userPrincipalName,
      ver: '2.0',
    };
    const header = { kid: this.sim.keys.kid };
    const accessToken = signJwt(
      {
        ...common,
        aud: this.sim.portal.audience,
        azp: grant.clientId,
        azpacr: '0',
        scp: 'access_as_user',
        roles,
        uti: randomToken(16),
      },
      this.sim.keys.privateKey,
      header,
    );
    const idToken = signJwt(
      {
        ...common,
        aud: grant.clientId,
        ...(grant.nonce ? { nonce: grant.nonce } : {}),
        roles,
        email: user.mail ?? undefined,
      },
      this.sim.keys.privateKey,
      header,
    );
    const refreshToken = randomToken(48);
    this.refreshTokens.set(refreshToken, {
      tenantId: tenant.id,
      userId: user.id,
      clientId: grant.clientId,
      scope: grant.scope,
    });
    return json(
      200,
      {
        token_type: 'Bearer',
        scope: grant.scope,
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token: accessToken,
        id_token: idToken,
        refresh_token: refreshToken,
        client_info: Buffer.from(JSON.stringify({ uid: user.id, utid: tenant.id })).toString('base64url'),
      },
      { 'cache-control': 'no-store, no-cache' },
    );
  }

  // ---- Admin consent ----

  private adminConsent(tenantSegment: string, req: SimRequest): SimResponse {
    const q = req.query;
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri');
    const state = q.get('state');
    if (!redirectUri)
      return html(
        400,
        '<p>AADSTS900144: The request body must contain the following parameter: redirect_uri.</p>',
      );
    const back = (params: Record<string, string>) => {
      const p = new URLSearchParams(params);
      if (state !== null) p.set('state', state);
      return redirect(`${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${p.toString()}`);
    };
    if (clientId !== this.sim.app.clientId) {
      return back({
        error: 'unauthorized_client',
        error_description: `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`,
      });
    }
    const tenants = this.tenantsFor(tenantSegment).filter((t) => !t.isProvider || tenantSegment !== 'common');
    if (tenants.length === 0) return html(400, '<p>AADSTS90002: Tenant not found.</p>');
    const picked = this.pickUser(tenants, q.get('sim_user'));
    if (!picked) {
      return this.userPicker(
        `Permissions requested by ${this.sim.app.displayName}`,
        tenants,
        (_tenant, user) => {
          const params = new URLSearchParams(q);
          params.set('sim_user', user.id);
          return `${this.sim.baseUrl}${req.path}?${params.toString()}`;
        },
      );
    }
    if (q.get('sim_decline') === 'true') {
      return back({
        error: 'access_denied',
        error_description: 'AADSTS65004: User declined to consent to access the app.',
        tenant: picked.tenant.id,
        admin_consent: 'False',
      });
    }
    picked.tenant.consent[clientId] = {
      roles: [...this.sim.app.consentRoles],
      consentedAt: this.sim.state.nowIso(),
    };
    this.sim.state.markDirty();
    const params: Record<string, string> = { admin_consent: 'True', tenant: picked.tenant.id };
    if (req.path.toLowerCase().includes('/v2.0/'))
      params['scope'] = q.get('scope') ?? 'https://graph.microsoft.com/.default';
    return back(params);
  }
}

export type { AppToken };
