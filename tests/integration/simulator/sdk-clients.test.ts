import { ClientCertificateCredential, ClientSecretCredential } from '@azure/identity';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSimulator, type TestSimulator } from '../../support/simulator';

function decode(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

describe('the real Azure SDKs against the simulator', () => {
  let t: TestSimulator;
  beforeAll(async () => {
    t = await startTestSimulator();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('ClientSecretCredential gets a v1.0 Graph app token with the consented roles', async () => {
    // Instance discovery would call login.microsoftonline.com; the simulator is its own authority.
    const credential = new ClientSecretCredential(t.tenantId, t.sim.app.clientId, t.sim.app.clientSecret, {
      authorityHost: t.sim.authorityHost,
      disableInstanceDiscovery: true,
    });
    const token = await credential.getToken('https://graph.microsoft.com/.default');
    const claims = decode(token.token);
    const header = JSON.parse(
      Buffer.from(token.token.split('.')[0]!, 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(header['kid']).toEqual(expect.any(String));
    expect(claims).toMatchObject({
      aud: 'https://graph.microsoft.com',
      iss: `https://sts.windows.net/${t.tenantId}/`,
      tid: t.tenantId,
      idtyp: 'app',
      appid: t.sim.app.clientId,
      ver: '1.0',
    });
    expect(claims['roles']).toEqual(
      expect.arrayContaining(['Mail.ReadWrite', 'Files.ReadWrite.All', 'User.Read.All']),
    );
    expect(claims['oid']).toBe(claims['sub']);
    expect(Number(claims['exp'])).toBeGreaterThan(Date.now() / 1000 + 3000);
  });

  it('ClientCertificateCredential signs in with the app certificate (client assertion)', async () => {
    const credential = new ClientCertificateCredential(
      t.tenantId,
      t.sim.app.clientId,
      { certificate: t.sim.app.certificatePem + '\n' + t.sim.app.privateKeyPem },
      { authorityHost: t.sim.authorityHost, disableInstanceDiscovery: true },
    );
    const token = await credential.getToken('https://graph.microsoft.com/.default');
    expect(decode(token.token)).toMatchObject({ appidacr: '2', tid: t.tenantId });
  });

  it('the Graph client pages users and reads a mailbox through the simulator', async () => {
    const credential = new ClientSecretCredential(t.tenantId, t.sim.app.clientId, t.sim.app.clientSecret, {
      authorityHost: t.sim.authorityHost,
      disableInstanceDiscovery: true,
    });
    const client = Client.initWithMiddleware({
      authProvider: new TokenCredentialAuthenticationProvider(credential, {
        scopes: ['https://graph.microsoft.com/.default'],
      }),
      baseUrl: `${t.sim.url}/`,
      defaultVersion: 'v1.0',
      customHosts: new Set([new URL(t.sim.url).hostname]),
    });
    const first = await client.api('/users').top(2).select('id,displayName,mail').get();
    expect(first.value).toHaveLength(2);
    expect(first['@odata.nextLink']).toMatch(new RegExp(`^${t.sim.graphBaseUrl}/users\\?\\$skiptoken=`));
    const second = await client.api(first['@odata.nextLink']).get();
    expect(second.value.length).toBeGreaterThan(0);
    expect(Object.keys(second.value[0]).sort()).toEqual(['displayName', 'id', 'mail']);
    const withMailbox = (await t.sim.control.tenant(t.tenantId)).users.find((u) => u.hasMailbox)!;
    const inbox = await client.api(`/users/${withMailbox.userPrincipalName}/mailFolders/inbox`).get();
    const tree = await t.sim.control.mailbox(t.tenantId, withMailbox.id);
    expect(inbox.id).toBe(tree.folders.find((f) => f.wellKnownName === 'inbox')!.id);
  });

  it('refuses a token for a tenant that has not consented, then accepts it after admin consent', async () => {
    const fresh = await t.sim.control.createTenant({ consented: false });
    const credential = new ClientSecretCredential(
      fresh.tenantId,
      t.sim.app.clientId,
      t.sim.app.clientSecret,
      {
        authorityHost: t.sim.authorityHost,
        disableInstanceDiscovery: true,
      },
    );
    await expect(credential.getToken('https://graph.microsoft.com/.default')).rejects.toThrow(/AADSTS700016/);

    const redirect = 'https://portal.example/onboarding/callback';
    const consentUrl = `${t.sim.url}/common/adminconsent?client_id=${t.sim.app.clientId}&redirect_uri=${encodeURIComponent(redirect)}&state=xyz`;
    const page = await fetch(consentUrl, { redirect: 'manual' });
    const html = await page.text();
    expect(page.status).toBe(200);
    const admin = fresh.users.find((u) => u.userType === 'Member')!;
    expect(html).toContain(admin.userPrincipalName);
    const accepted = await fetch(`${consentUrl}&sim_user=${encodeURIComponent(admin.userPrincipalName)}`, {
      redirect: 'manual',
    });
    expect(accepted.status).toBe(302);
    const location = new URL(accepted.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(redirect);
    expect(Object.fromEntries(location.searchParams)).toEqual({
      admin_consent: 'True',
      tenant: fresh.tenantId,
      state: 'xyz',
    });

    const token = await new ClientSecretCredential(
      fresh.tenantId,
      t.sim.app.clientId,
      t.sim.app.clientSecret,
      {
        authorityHost: t.sim.authorityHost,
        disableInstanceDiscovery: true,
      },
    ).getToken('https://graph.microsoft.com/.default');
    expect(decode(token.token)['tid']).toBe(fresh.tenantId);
  });

  it('answers a wrong secret with AADSTS7000215 in Entra error shape', async () => {
    const response = await fetch(`${t.sim.url}/${t.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: t.sim.app.clientId,
        client_secret: 'nope',
        scope: 'https://graph.microsoft.com/.default',
      }),
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    expect(body['error_description']).toMatch(/^AADSTS7000215: /);
    expect(body).toHaveProperty('trace_id');
    expect(body).toHaveProperty('correlation_id');
  });

  it('rejects missing, expired, forged and wrong-audience tokens with 401 InvalidAuthenticationToken', async () => {
    const expired = (await t.sim.control.appToken(t.tenantId, { lifetimeSec: -60 })).access_token;
    const good = await t.token();
    const [h, p] = good.split('.');
    const wrongAudience = `${h}.${Buffer.from(JSON.stringify({ ...decode(good), aud: 'api://other' })).toString('base64url')}.${good.split('.')[2]}`;
    const forged = `${h}.${p}.${Buffer.from('not a signature').toString('base64url')}`;
    for (const authorization of [
      undefined,
      `Bearer ${expired}`,
      `Bearer ${forged}`,
      `Bearer ${wrongAudience}`,
    ]) {
      const response = await fetch(`${t.sim.graphBaseUrl}/users`, {
        headers: authorization ? { authorization } : {},
      });
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: { code: string; innerError: Record<string, string> } };
      expect(body.error.code).toBe('InvalidAuthenticationToken');
      expect(body.error.innerError['request-id']).toBe(response.headers.get('request-id'));
    }
  });

  it('answers calls the token roles do not allow with the workload 403', async () => {
    const { access_token } = await t.sim.control.appToken(t.tenantId, { roles: ['Sites.Read.All'] });
    const user = (await t.sim.control.tenant(t.tenantId)).users.find((u) => u.hasMailbox)!;
    const mail = await t.graph('GET', `/users/${user.id}/messages`, { token: access_token });
    expect([mail.status, mail.body.error.code]).toEqual([403, 'ErrorAccessDenied']);
    const users = await t.graph('GET', '/users', { token: access_token });
    expect([users.status, users.body.error.code]).toEqual([403, 'Authorization_RequestDenied']);
    const files = await t.graph('PUT', `/users/${user.id}/drive/root:/x.txt:/content`, {
      token: access_token,
      body: 'x',
    });
    expect([files.status, files.body.error.code]).toEqual([403, 'accessDenied']);
  });

  it('signs a portal user in with authorization code + PKCE and puts their app roles in the tokens', async () => {
    const { createHash, randomBytes } = await import('node:crypto');
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirect = 'http://127.0.0.1:9/callback';
    const tenant = await t.sim.control.tenant(t.tenantId);
    const admin = tenant.users.find((u) => u.portalRoles.includes('Backup.Admin'))!;
    const params = new URLSearchParams({
      client_id: t.sim.portal.clientId,
      response_type: 'code',
      redirect_uri: redirect,
      scope: 'openid profile offline_access',
      state: 's1',
      nonce: 'n1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const picker = await fetch(`${t.sim.url}/${t.tenantId}/oauth2/v2.0/authorize?${params}`);
    expect(await picker.text()).toContain(admin.displayName);
    const chosen = await fetch(
      `${t.sim.url}/${t.tenantId}/oauth2/v2.0/authorize?${params}&sim_user=${admin.id}`,
      { redirect: 'manual' },
    );
    const code = new URL(chosen.headers.get('location')!).searchParams.get('code')!;
    const exchange = async (codeVerifier: string) =>
      fetch(`${t.sim.url}/${t.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: t.sim.portal.clientId,
          code,
          redirect_uri: redirect,
          code_verifier: codeVerifier,
        }),
      });
    const tokens = (await (await exchange(verifier)).json()) as Record<string, string>;
    expect(decode(tokens['id_token']!)).toMatchObject({
      aud: t.sim.portal.clientId,
      nonce: 'n1',
      tid: t.tenantId,
      oid: admin.id,
    });
    expect(decode(tokens['access_token']!)).toMatchObject({
      aud: t.sim.portal.audience,
      roles: ['Backup.Admin'],
      iss: `${t.sim.url}/${t.tenantId}/v2.0`,
    });
    // A code is single-use.
    expect((await exchange(verifier)).status).toBe(400);

    const provider = await t.sim.control.tenant(t.sim.providerTenantId);
    expect(provider.users[0]!.portalRoles).toContain('Backup.Operator');
    const jwks = (await (await fetch(`${t.sim.url}/${t.tenantId}/discovery/v2.0/keys`)).json()) as {
      keys: { kid: string }[];
    };
    const header = JSON.parse(
      Buffer.from(tokens['access_token']!.split('.')[0]!, 'base64url').toString('utf8'),
    ) as { kid: string };
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
  });
});
