/**
 * What the four credential parameters mean at each provider. Data only (no adapter imports), so that adapters,
 * the input validation, the GraphQL schema and the README all read the same table.
 */
import type { CredentialField, ProviderId } from './types.js';

/** What one of the four credential parameters means at one provider, and whether it must be sent. */
export interface CredentialUse {
  readonly meaning: string;
  readonly required: boolean;
}

/**
 * The four REST credential parameters (`ApiKey`, `ApiSecret`, `ApiUser`, `Username`; GraphQL `DnsCredentialsInput`)
 * per provider: the platform's callers know no others. A field a provider does not list is ignored. One table read
 * by the input validation (a missing required field: codes 5/6/7), by each adapter's `requiredCredentials`, by the
 * GraphQL field descriptions and by the README, so they can never disagree.
 */
export const PROVIDER_CREDENTIALS: Readonly<Record<ProviderId, Partial<Record<CredentialField, CredentialUse>>>> = {
  cloudflare: { apiKey: { meaning: 'API token (Zone.DNS edit)', required: true } },
  godaddy: { apiKey: { meaning: 'API key', required: true }, apiSecret: { meaning: 'API secret', required: true } },
  namecheap: {
    apiKey: { meaning: 'API key', required: true },
    apiUser: { meaning: 'ApiUser', required: true },
    username: { meaning: 'UserName (usually the same as ApiUser)', required: true },
  },
  sandbox: { apiKey: { meaning: 'any non-empty value', required: true } },
  route53: {
    apiKey: { meaning: 'access key id', required: true },
    apiSecret: { meaning: 'secret access key', required: true },
    apiUser: { meaning: 'session token (temporary credentials only)', required: false },
  },
  googlecloud: {
    apiKey: { meaning: 'project id', required: true },
    apiSecret: { meaning: 'service-account key file (the whole JSON)', required: true },
  },
  azure: {
    apiKey: { meaning: 'client (application) id', required: true },
    apiSecret: { meaning: 'client secret', required: true },
    apiUser: { meaning: 'tenant id', required: true },
    username: { meaning: 'subscription id', required: true },
  },
  digitalocean: { apiKey: { meaning: 'API token', required: true } },
  linode: { apiKey: { meaning: 'personal access token', required: true } },
  vultr: { apiKey: { meaning: 'API key', required: true } },
  hetzner: { apiKey: { meaning: 'Cloud API token', required: true } },
  ionos: { apiKey: { meaning: 'API key as prefix.secret', required: true } },
  ovh: {
    apiKey: { meaning: 'application key', required: true },
    apiSecret: { meaning: 'application secret', required: true },
    apiUser: { meaning: 'consumer key', required: true },
    username: { meaning: 'region: ovh-eu (default), ovh-ca or ovh-us', required: false },
  },
  porkbun: { apiKey: { meaning: 'API key', required: true }, apiSecret: { meaning: 'secret API key', required: true } },
  gandi: { apiKey: { meaning: 'personal access token', required: true } },
  dnsimple: { apiKey: { meaning: 'API access token', required: true } },
  namecom: { apiKey: { meaning: 'API token', required: true }, apiUser: { meaning: 'username', required: true } },
  hostinger: { apiKey: { meaning: 'API token', required: true } },
};

/** Credentials each provider needs besides `apiKey` (always required), from `PROVIDER_CREDENTIALS`. */
export const REQUIRED_CREDENTIALS: Readonly<Record<ProviderId, readonly CredentialField[]>> = Object.fromEntries(
  Object.entries(PROVIDER_CREDENTIALS).map(([id, uses]) => [
    id,
    (Object.entries(uses) as [CredentialField, CredentialUse][]).filter(([field, use]) => field !== 'apiKey' && use.required).map(([field]) => field),
  ]),
) as unknown as Record<ProviderId, readonly CredentialField[]>;

