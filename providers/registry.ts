/**
 * Which providers exist, what credentials each needs, and how they are built from config. The required-credential
 * table is data read by the input validation (codes 5/6/7) and by each adapter's `requiredCredentials`, so the two
 * can never disagree.
 */
import type { Dispatcher } from 'undici';
import type { Config } from '../src/config.js';
import type { Store } from '../src/storage/store.js';
import type { UpstreamObserver } from './http.js';
import { createAzureProvider } from './azure.js';
import { createCloudflareProvider } from './cloudflare.js';
import { createGandiProvider } from './gandi.js';
import { createDigitaloceanProvider } from './digitalocean.js';
import { createDnsimpleProvider } from './dnsimple.js';
import { createGodaddyProvider } from './godaddy.js';
import { createGoogleCloudProvider } from './googlecloud.js';
import { createHostingerProvider } from './hostinger.js';
import { createIonosProvider } from './ionos.js';
import { createHetznerProvider } from './hetzner.js';
import { createLinodeProvider } from './linode.js';
import { createNamecheapProvider } from './namecheap.js';
import { createOvhProvider } from './ovh.js';
import { createNamecomProvider } from './namecom.js';
import { createRoute53Provider } from './route53.js';
import { createPorkbunProvider } from './porkbun.js';
import { createSandboxProvider } from './sandbox.js';
import { createVultrProvider } from './vultr.js';
import type { DnsProvider, ProviderId } from './types.js';
export { PROVIDER_CREDENTIALS, REQUIRED_CREDENTIALS, type CredentialUse } from './credentials.js';

/**
 * The providers this server has an adapter for, in the order the API lists them (the GraphQL enum, error
 * messages, the README table). Adding a provider: its adapter file, a line here, one in `createProviderRegistry`,
 * and one in the conformance suite's driver list (test/providers/drivers/index.ts).
 */
export const PROVIDER_IDS = ['cloudflare', 'godaddy', 'namecheap', 'sandbox', 'googlecloud', 'azure', 'route53', 'ionos', 'gandi', 'digitalocean', 'vultr', 'hetzner', 'linode', 'porkbun', 'dnsimple', 'ovh', 'namecom', 'hostinger'] as const satisfies readonly ProviderId[];

export function isProviderId(value: string): value is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(value);
}

export type ProviderRegistry = ReadonlyMap<ProviderId, DnsProvider>;

export function createProviderRegistry(config: Config, deps: { dispatcher: Dispatcher; store: Store; onCall?: UpstreamObserver }): ProviderRegistry {
  const common = { dispatcher: deps.dispatcher, deadlineMs: config.PROVIDER_DEADLINE_MS, onCall: deps.onCall };
  const providers: DnsProvider[] = [
    createCloudflareProvider({ ...common, baseUrl: config.CLOUDFLARE_API_URL }),
    createGodaddyProvider({ ...common, baseUrl: config.GODADDY_API_URL }),
    createNamecheapProvider({ ...common, baseUrl: config.NAMECHEAP_API_URL, clientIp: config.NAMECHEAP_CLIENT_IP }),
    createGoogleCloudProvider({ ...common, baseUrl: config.GOOGLE_DNS_API_URL, tokenUrl: config.GOOGLE_OAUTH_TOKEN_URL }),
    createAzureProvider({ ...common, baseUrl: config.AZURE_API_URL, authorityUrl: config.AZURE_AUTHORITY_URL }),
    createRoute53Provider({ ...common, baseUrl: config.ROUTE53_API_URL }),
    createIonosProvider({ ...common, baseUrl: config.IONOS_API_URL }),
    createGandiProvider({ ...common, baseUrl: config.GANDI_API_URL }),
    createDigitaloceanProvider({ ...common, baseUrl: config.DIGITALOCEAN_API_URL }),
    createVultrProvider({ ...common, baseUrl: config.VULTR_API_URL }),
    createHetznerProvider({ ...common, baseUrl: config.HETZNER_API_URL }),
    createLinodeProvider({ ...common, baseUrl: config.LINODE_API_URL }),
    // Paced at one call a second per API key: a dns.set of N calls takes at least N − 1 seconds.
    createPorkbunProvider({ ...common, baseUrl: config.PORKBUN_API_URL }),
    createDnsimpleProvider({ ...common, baseUrl: config.DNSIMPLE_API_URL }),
    // OVH_API_URL overrides the endpoint of the caller's region (the `Username` credential) when set.
    createOvhProvider({ ...common, baseUrl: config.OVH_API_URL }),
    createNamecomProvider({ ...common, baseUrl: config.NAMECOM_API_URL }),
    createHostingerProvider({ ...common, baseUrl: config.HOSTINGER_API_URL }),
  ];
  if (config.sandboxEnabled) providers.push(createSandboxProvider({ store: deps.store }));
  return new Map(providers.map((p) => [p.id, p]));
}
