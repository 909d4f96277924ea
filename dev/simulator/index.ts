/**
 * The Microsoft 365 simulator, embedded: `startSimulator()` starts it (HTTPS on a free port by
 * default) and returns its URLs, CA, app credentials, tenants, a control client and `stop()`.
 * See README.md.
 */
import { ControlClient } from './control/control-client';
import type { SimulatorOptions } from './options';
import { createSimulator } from './simulator';

export type { SimulatorOptions, SimulatorLimits } from './options';
export { defaultLimits, defaultAppRoles } from './options';
export { ControlClient } from './control/control-client';
export type { TenantSummary, MailboxTree, FaultSpec } from './control/control-client';

export interface RunningSimulator {
  /** `https://127.0.0.1:PORT` */
  url: string;
  /** `url + '/v1.0'` (Graph's base URL). */
  graphBaseUrl: string;
  /** Entra ID authority host (for `@azure/identity`'s `authorityHost`). */
  authorityHost: string;
  caCertPath: string;
  caCertPem: string;
  tenants: { tenantId: string; domain: string; displayName: string }[];
  providerTenantId: string;
  app: { clientId: string; clientSecret: string; certificatePem: string; privateKeyPem: string };
  portal: { clientId: string; audience: string };
  control: ControlClient;
  stop(): Promise<void>;
}

export async function startSimulator(
  options: SimulatorOptions & { certDir?: string } = {},
): Promise<RunningSimulator> {
  const simulator = await createSimulator(options);
  await simulator.listen();
  const { sim, tls, appCertificate } = simulator;
  const control = new ControlClient(sim.baseUrl, tls.caCertPem);
  return {
    url: sim.baseUrl,
    graphBaseUrl: sim.graphBase,
    authorityHost: sim.baseUrl,
    caCertPath: tls.caCertPath,
    caCertPem: tls.caCertPem,
    tenants: sim.state
      .tenants()
      .filter((t) => !t.isProvider)
      .map((t) => ({ tenantId: t.id, domain: t.domain, displayName: t.displayName })),
    providerTenantId: sim.providerTenantId,
    app: {
      clientId: sim.app.clientId,
      clientSecret: sim.app.clientSecret,
      certificatePem: appCertificate.certPem,
      privateKeyPem: appCertificate.keyPem,
    },
    portal: sim.portal,
    control,
    stop: async () => {
      control.close();
      await simulator.stop();
    },
  };
}
