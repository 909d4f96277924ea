/**
 * Graph's side of authentication: a bearer token must be one this Entra ID signed, for Graph's
 * audience, unexpired, with an issuer naming a known tenant; otherwise 401
 * InvalidAuthenticationToken. Each route names the application roles that allow it; a token
 * without any of them gets the workload's 403.
 */
import type { AppToken, SimContext } from '../context';
import { GraphError } from '../http/errors';
import type { SimRequest } from '../http/types';
import { decodeJwt, verifySignature } from './jwt';

export const graphAudiences = [
  'https://graph.microsoft.com',
  'https://graph.microsoft.com/',
  '00000003-0000-0000-c000-000000000000',
];

const wwwAuthenticate = {
  'www-authenticate':
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
};

function invalid(message: string): GraphError {
  return new GraphError(401, 'InvalidAuthenticationToken', message, wwwAuthenticate);
}

/** Tokens already verified, with their expiry (signature checks dominate small requests otherwise). */
const verified = new Map<string, { token: AppToken; exp: number; keyId: string }>();

export function authenticateGraph(sim: SimContext, req: SimRequest): AppToken {
  const header = req.headers['authorization'];
  if (!header) throw invalid('Access token is empty.');
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!match) throw invalid('Access token is empty.');
  const cached = verified.get(match[1]!);
  if (
    cached &&
    cached.keyId === sim.keys.kid &&
    cached.exp > sim.state.now().getTime() / 1000 &&
    sim.state.tenant(cached.token.tenantId)
  ) {
    return cached.token;
  }
  const token = verifyAppToken(sim, match[1]!);
  if (verified.size > 5000) verified.clear();
  return token;
}

function verifyAppToken(sim: SimContext, raw: string): AppToken {
  const jwt = decodeJwt(raw);
  if (!jwt) throw invalid('IDX14100: JWT is not well formed, there are no dots (.).');
  if (jwt.header.kid !== sim.keys.kid || !verifySignature(jwt, sim.keys.publicKey)) {
    throw invalid('Access token validation failure. Invalid signature.');
  }
  const p = jwt.payload;
  const now = Math.floor(sim.state.now().getTime() / 1000);
  if (typeof p['exp'] !== 'number' || p['exp'] <= now)
    throw invalid('Lifetime validation failed, the token is expired.');
  if (typeof p['nbf'] === 'number' && p['nbf'] > now + 300)
    throw invalid('Lifetime validation failed, the token is not yet valid.');
  if (!graphAudiences.includes(String(p['aud']))) throw invalid('Invalid audience.');
  const tid = String(p['tid'] ?? '');
  if (p['iss'] !== `https://sts.windows.net/${tid}/` || !sim.state.tenant(tid))
    throw invalid('Invalid issuer.');
  if (p['idtyp'] !== 'app') {
    throw invalid('Only application (app-only) tokens are accepted by this simulator.');
  }
  const token: AppToken = {
    tenantId: tid,
    appId: String(p['appid'] ?? ''),
    roles: Array.isArray(p['roles']) ? (p['roles'] as string[]) : [],
    oid: String(p['oid'] ?? ''),
  };
  verified.set(raw, { token, exp: p['exp'], keyId: sim.keys.kid });
  return token;
}

/** Roles that allow reading or writing each workload (application permissions). */
export const permissions = {
  userRead: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  groupRead: [
    'Group.Read.All',
    'Group.ReadWrite.All',
    'GroupMember.Read.All',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
  groupConversations: ['Group.Read.All', 'Group.ReadWrite.All'],
  mailRead: ['Mail.Read', 'Mail.ReadWrite', 'Mail.ReadBasic', 'Mail.ReadBasic.All'],
  mailReadContent: ['Mail.Read', 'Mail.ReadWrite'],
  mailWrite: ['Mail.ReadWrite'],
  mailSend: ['Mail.Send'],
  mailboxSettings: ['MailboxSettings.Read', 'MailboxSettings.ReadWrite'],
  filesRead: [
    'Files.Read.All',
    'Files.ReadWrite.All',
    'Sites.Read.All',
    'Sites.ReadWrite.All',
    'Sites.FullControl.All',
  ],
  filesWrite: ['Files.ReadWrite.All', 'Sites.ReadWrite.All', 'Sites.FullControl.All'],
  sitesRead: ['Sites.Read.All', 'Sites.ReadWrite.All', 'Sites.FullControl.All'],
  any: [] as string[],
};

export type DenyStyle = 'mail' | 'directory' | 'files';

export function requireRoles(token: AppToken, allowed: string[], style: DenyStyle): void {
  if (allowed.length === 0) return;
  if (token.roles.some((r) => allowed.includes(r))) return;
  if (style === 'mail')
    throw new GraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  if (style === 'directory')
    throw new GraphError(
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation.',
    );
  throw new GraphError(403, 'accessDenied', 'Either scp or roles claim need to be present in the token.');
}
