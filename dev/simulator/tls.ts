/**
 * The simulator's TLS material: a self-signed CA and a server certificate for 127.0.0.1/localhost
 * signed by it. Callers trust the CA (NODE_EXTRA_CA_CERTS), so the real Azure SDKs, which insist on
 * https authorities, talk to the simulator unchanged. Generated once per directory and reused.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  caCertPath: string;
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

const files = { ca: 'ca.pem', caKey: 'ca-key.pem', cert: 'server.pem', key: 'server-key.pem' };

/** Loads the CA and server certificate from `dir`, generating whatever is missing. */
export async function ensureTlsMaterial(dir: string): Promise<TlsMaterial> {
  mkdirSync(dir, { recursive: true });
  const path = (name: string) => join(dir, name);
  if (!existsSync(path(files.ca)) || !existsSync(path(files.caKey))) {
    const notAfterDate = new Date(Date.now() + 10 * 365 * 24 * 3600_000);
    const ca = await generate([{ name: 'commonName', value: 'M365 Simulator Local CA' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    });
    writeFileSync(path(files.caKey), ca.private, { mode: 0o600 });
    writeFileSync(path(files.ca), ca.cert);
    // A new CA invalidates any server certificate signed by an older one.
    writeFileSync(path(files.cert), '');
  }
  const caCertPem = readFileSync(path(files.ca), 'utf8');
  if (!existsSync(path(files.cert)) || readFileSync(path(files.cert), 'utf8').trim() === '') {
    const server = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 2 * 365 * 24 * 3600_000),
      ca: { key: readFileSync(path(files.caKey), 'utf8'), cert: caCertPem },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    });
    writeFileSync(path(files.key), server.private, { mode: 0o600 });
    writeFileSync(path(files.cert), server.cert);
  }
  return {
    caCertPath: path(files.ca),
    caCertPem,
    serverCertPem: readFileSync(path(files.cert), 'utf8'),
    serverKeyPem: readFileSync(path(files.key), 'utf8'),
  };
}

export interface AppCertificate {
  certPem: string;
  keyPem: string;
}

/** A certificate for the backup app registration (client assertion sign-in), kept in `dir`. */
export async function ensureAppCertificate(dir: string): Promise<AppCertificate> {
  mkdirSync(dir, { recursive: true });
  const certPath = join(dir, 'app-cert.pem');
  const keyPath = join(dir, 'app-key.pem');
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    const pems = await generate([{ name: 'commonName', value: 'M365 Backup app' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 2 * 365 * 24 * 3600_000),
    });
    writeFileSync(keyPath, pems.private, { mode: 0o600 });
    writeFileSync(certPath, pems.cert);
  }
  return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
}
