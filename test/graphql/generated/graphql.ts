/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = T | null | undefined;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
};

export type AuthorizeDnsInput = {
  credentials: DnsCredentialsInput;
  domain: Scalars['String']['input'];
  provider: DnsProviderName;
};

export type AuthorizeDnsResult = AuthorizeDnsSuccess | DnsError;

export type AuthorizeDnsSuccess = {
  __typename?: 'AuthorizeDnsSuccess';
  success: Scalars['Boolean']['output'];
};

/** One change of the journal: which records changed, when, and how. Never holds a credential. */
export type DnsChange = {
  __typename?: 'DnsChange';
  /** True when writes reached the provider: status APPLIED or PARTIAL. */
  applied: Scalars['Boolean']['output'];
  /** The writes that landed, in the order the provider applied them (PENDING: the planned writes); `previous` is the content before. */
  changes: Array<DnsRecordChange>;
  /** ISO-8601 UTC. */
  createdAt: Scalars['String']['output'];
  domain: Scalars['String']['output'];
  /** What revertDnsChange takes (REST: ChangeID). */
  id: Scalars['ID']['output'];
  /** Set only on an entry whose stored form cannot be read: why. Its `changes` are then empty and it cannot be reverted. */
  problem?: Maybe<Scalars['String']['output']>;
  provider: DnsProviderName;
  recordType: DnsRecordType;
  /** The change this one reverted; null for a setDnsRecords. */
  revertOf?: Maybe<Scalars['ID']['output']>;
  status: DnsChangeStatus;
};

export enum DnsChangeAction {
  Conflict = 'CONFLICT',
  Create = 'CREATE',
  Delete = 'DELETE',
  Keep = 'KEEP',
  Update = 'UPDATE'
}

/** Where a journal entry stands. It is written PENDING before the first provider write and completed once the provider answered; one that stays PENDING was never completed (its command is still running, or its process stopped mid-write), so its writes may or may not be in the zone. */
export enum DnsChangeStatus {
  /** Every write landed. */
  Applied = 'APPLIED',
  /** The command failed and the provider reported no write as landed. */
  Failed = 'FAILED',
  /** The command failed after some writes landed: `changes` are those. */
  Partial = 'PARTIAL',
  /** Not completed: `changes` are the planned writes, any of which may have landed. */
  Pending = 'PENDING'
}

export type DnsChecks = {
  __typename?: 'DnsChecks';
  dkim: Array<DnsDkimCheck>;
  dmarc: DnsDmarcCheck;
  nameservers: DnsNameserversCheck;
  spf: DnsSpfCheck;
};

/** The customer's DNS provider credentials: never stored, never logged. */
export type DnsCredentialsInput = {
  /** REST `ApiKey`. Cloudflare: API token (Zone.DNS edit); GoDaddy: API key; Namecheap: API key; Google Cloud DNS: project id; Azure DNS: client (application) id; Amazon Route 53: access key id; IONOS: API key as prefix.secret; Gandi: personal access token; DigitalOcean: API token; Vultr: API key; Hetzner: Cloud API token; Linode: personal access token; Porkbun: API key; DNSimple: API access token; OVHcloud: application key; Name.com: API token; Hostinger: API token. */
  apiKey: Scalars['String']['input'];
  /** REST `ApiSecret`. GoDaddy: API secret; Google Cloud DNS: service-account key file (the whole JSON); Azure DNS: client secret; Amazon Route 53: secret access key; Porkbun: secret API key; OVHcloud: application secret. */
  apiSecret?: InputMaybe<Scalars['String']['input']>;
  /** REST `ApiUser`. Namecheap: ApiUser; Azure DNS: tenant id; Amazon Route 53: session token (temporary credentials only) (optional); OVHcloud: consumer key; Name.com: username. */
  apiUser?: InputMaybe<Scalars['String']['input']>;
  /** REST `Username`. Namecheap: UserName (usually the same as ApiUser); Azure DNS: subscription id; OVHcloud: region: ovh-eu (default), ovh-ca or ovh-us (optional). */
  username?: InputMaybe<Scalars['String']['input']>;
};

export type DnsDkimCheck = {
  __typename?: 'DnsDkimCheck';
  /** RSA key size; under 1024 fails. */
  bits?: Maybe<Scalars['Int']['output']>;
  name: Scalars['String']['output'];
  ok: Scalars['Boolean']['output'];
  problem?: Maybe<Scalars['String']['output']>;
  /** The CNAME target holding the key. */
  target: Scalars['String']['output'];
};

export type DnsDmarcCheck = {
  __typename?: 'DnsDmarcCheck';
  ok: Scalars['Boolean']['output'];
  /** `none`, `quarantine` or `reject`. */
  policy?: Maybe<Scalars['String']['output']>;
  problem?: Maybe<Scalars['String']['output']>;
  record?: Maybe<Scalars['String']['output']>;
};

/** An expected failure of a DNS command. `code` is the platform REST API code for the same failure. */
export type DnsError = {
  __typename?: 'DnsError';
  code: Scalars['Int']['output'];
  message: Scalars['String']['output'];
};

export type DnsNameserverStatus = {
  __typename?: 'DnsNameserverStatus';
  address: Scalars['String']['output'];
  error?: Maybe<Scalars['String']['output']>;
  host: Scalars['String']['output'];
  ok: Scalars['Boolean']['output'];
};

export type DnsNameserversCheck = {
  __typename?: 'DnsNameserversCheck';
  /** Every authoritative server answered. */
  ok: Scalars['Boolean']['output'];
  servers: Array<DnsNameserverStatus>;
};

/** Which DNS host serves a domain, from its NS records. */
export type DnsProviderDetection = {
  __typename?: 'DnsProviderDetection';
  /** Domain Connect at this DNS provider for the domain: null when it is not available (no `_domainconnect` record, settings unreachable) or not set up on this service. Only this field runs the discovery. */
  domainConnect?: Maybe<DomainConnectInfo>;
  nameservers: Array<Scalars['String']['output']>;
  /** Lower-case provider id, as on REST (`cloudflare`, `route53`, …). */
  provider: Scalars['String']['output'];
  /** Whether this service can manage records at that provider. */
  supported: Scalars['Boolean']['output'];
};

export enum DnsProviderName {
  /** Azure DNS */
  Azure = 'AZURE',
  /** Cloudflare */
  Cloudflare = 'CLOUDFLARE',
  /** DigitalOcean */
  Digitalocean = 'DIGITALOCEAN',
  /** DNSimple */
  Dnsimple = 'DNSIMPLE',
  /** Domain Connect: the domain's DNS provider applies the record set through the authorization granted with domainConnectUrl(flow: ASYNC). */
  Domainconnect = 'DOMAINCONNECT',
  /** Gandi */
  Gandi = 'GANDI',
  /** GoDaddy */
  Godaddy = 'GODADDY',
  /** Google Cloud DNS */
  Googlecloud = 'GOOGLECLOUD',
  /** Hetzner */
  Hetzner = 'HETZNER',
  /** Hostinger */
  Hostinger = 'HOSTINGER',
  /** IONOS */
  Ionos = 'IONOS',
  /** Linode */
  Linode = 'LINODE',
  /** Namecheap */
  Namecheap = 'NAMECHEAP',
  /** Name.com */
  Namecom = 'NAMECOM',
  /** OVHcloud */
  Ovh = 'OVH',
  /** Porkbun */
  Porkbun = 'PORKBUN',
  /** Amazon Route 53 */
  Route53 = 'ROUTE53',
  /** Sandbox */
  Sandbox = 'SANDBOX',
  /** Vultr */
  Vultr = 'VULTR'
}

export type DnsProviderResult = DnsError | DnsProviderDetection;

/** One line of a plan or of a journal entry: what happens (or would happen, or happened) to one record. */
export type DnsRecordChange = {
  __typename?: 'DnsRecordChange';
  action: DnsChangeAction;
  content: Scalars['String']['output'];
  /** The full domain name of the record. */
  name: Scalars['String']['output'];
  /** The content this change replaces or conflicts with. */
  previous?: Maybe<Scalars['String']['output']>;
  ttl: Scalars['Int']['output'];
  type: Scalars['String']['output'];
};

/** LIVE: every authoritative server answers the expected content. PROPAGATING: some do. MISSING: none do. WRONG: the name answers something else. */
export enum DnsRecordState {
  Live = 'LIVE',
  Missing = 'MISSING',
  Propagating = 'PROPAGATING',
  Wrong = 'WRONG'
}

export type DnsRecordStatus = {
  __typename?: 'DnsRecordStatus';
  /** What dns.set writes (for the SPF, the rules it merges). */
  expected: Scalars['String']['output'];
  name: Scalars['String']['output'];
  /** The recursive resolvers, beside (never instead of) the servers. */
  recursive: DnsServerAnswer;
  /** Each authoritative server. */
  servers: Array<DnsServerAnswer>;
  status: DnsRecordState;
  type: Scalars['String']['output'];
};

export enum DnsRecordType {
  Campaign = 'CAMPAIGN',
  EmailGateway = 'EMAIL_GATEWAY'
}

/** One name server's answer for one expected record. */
export type DnsServerAnswer = {
  __typename?: 'DnsServerAnswer';
  address: Scalars['String']['output'];
  answers: Array<Scalars['String']['output']>;
  error?: Maybe<Scalars['String']['output']>;
  /** `match`, `missing`, `other` or `error`. */
  result: Scalars['String']['output'];
  /** The NS host name, or `recursive` for the configured resolvers. */
  server: Scalars['String']['output'];
};

export type DnsSpfCheck = {
  __typename?: 'DnsSpfCheck';
  /** Whether the platform's SPF rules are in it; null when none are configured. */
  include?: Maybe<Scalars['Boolean']['output']>;
  /** DNS-querying terms (RFC 7208 §4.6.4: at most 10). */
  lookups?: Maybe<Scalars['Int']['output']>;
  ok: Scalars['Boolean']['output'];
  problem?: Maybe<Scalars['String']['output']>;
  record?: Maybe<Scalars['String']['output']>;
  /** SPF records at the apex (more than one is a permanent error). */
  records: Scalars['Int']['output'];
  /** Lookups that found nothing (at most 2). */
  voidLookups?: Maybe<Scalars['Int']['output']>;
};

/** Whether a record set is live on every authoritative name server of a domain, and its mail records are right. */
export type DnsStatus = {
  __typename?: 'DnsStatus';
  /** ISO-8601 UTC. */
  checkedAt: Scalars['String']['output'];
  checks: DnsChecks;
  domain: Scalars['String']['output'];
  /** True only when every record is LIVE and every check passes. */
  ready: Scalars['Boolean']['output'];
  recordType: DnsRecordType;
  records: Array<DnsRecordStatus>;
};

export type DnsStatusChangedResult = DnsError | DnsWatch;

export type DnsStatusResult = DnsError | DnsStatus;

/** The caller's watch of a record set on a domain: re-verified on the authoritative name servers until ready, then now and then. */
export type DnsWatch = {
  __typename?: 'DnsWatch';
  /** Checks made since the watch entered its state. */
  checkCount: Scalars['Int']['output'];
  /** ISO-8601 UTC. */
  createdAt: Scalars['String']['output'];
  domain: Scalars['String']['output'];
  /** When a PENDING or BROKEN watch expires. */
  expiresAt?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  lastCheckedAt?: Maybe<Scalars['String']['output']>;
  lastResult?: Maybe<DnsWatchCheck>;
  /** Null when no further check is scheduled. */
  nextCheckAt?: Maybe<Scalars['String']['output']>;
  recordType: DnsRecordType;
  state: DnsWatchState;
  stateChangedAt: Scalars['String']['output'];
  /** Raised by every state change and restart. */
  version: Scalars['Int']['output'];
};

/** A watch's check in brief (dnsStatus has the whole detail). */
export type DnsWatchCheck = {
  __typename?: 'DnsWatchCheck';
  /** ISO-8601 UTC. */
  checkedAt: Scalars['String']['output'];
  checks?: Maybe<DnsWatchChecks>;
  /** Why the check could not be made (e.g. no name server answered); null when it was. */
  error?: Maybe<Scalars['String']['output']>;
  /** One sentence per failing check. */
  problems: Array<Scalars['String']['output']>;
  ready: Scalars['Boolean']['output'];
  records: Array<DnsWatchRecord>;
};

/** Whether each check of dnsStatus passed. */
export type DnsWatchChecks = {
  __typename?: 'DnsWatchChecks';
  dkim: Scalars['Boolean']['output'];
  dmarc: Scalars['Boolean']['output'];
  nameservers: Scalars['Boolean']['output'];
  spf: Scalars['Boolean']['output'];
};

/** One record of a check. */
export type DnsWatchRecord = {
  __typename?: 'DnsWatchRecord';
  expected: Scalars['String']['output'];
  name: Scalars['String']['output'];
  status: DnsRecordState;
  type: Scalars['String']['output'];
};

/** Where a watch stands. */
export enum DnsWatchState {
  /** Was READY, then a check found a record missing or changed; checked with backoff until ready again, or the watch expires. */
  Broken = 'BROKEN',
  /** Not ready within VERIFY_WATCH_HOURS: no longer checked until restarted (watchDnsRecords, or an applied setDnsRecords). */
  Expired = 'EXPIRED',
  /** Checked with backoff (15 s, 30 s, 1 min, … 30 min) until the record set is ready, or the watch expires. */
  Pending = 'PENDING',
  /** Every record LIVE and every check passing; checked again every VERIFY_RECHECK_HOURS. */
  Ready = 'READY'
}

export enum DomainConnectFlow {
  /** The customer grants this service OAuth access; it then applies the records itself (and again later). */
  Async = 'ASYNC',
  /** The customer applies the records in a window at the DNS provider (a signed apply URL). */
  Sync = 'SYNC'
}

/** Domain Connect at the domain's DNS provider, from its `_domainconnect` TXT record and settings (Domain Connect 2.3 §3). */
export type DomainConnectInfo = {
  __typename?: 'DomainConnectInfo';
  /** The provider offers the asynchronous (OAuth) flow for this domain and this service holds OAuth client credentials for it. */
  asyncSupported: Scalars['Boolean']['output'];
  /** The name to show the customer (providerName when the provider gives none). */
  providerDisplayName: Scalars['String']['output'];
  /** The DNS provider's Domain Connect id (usually its domain). */
  providerId: Scalars['String']['output'];
  providerName: Scalars['String']['output'];
  /** The provider offers the synchronous flow (a signed apply URL) for this domain. */
  syncSupported: Scalars['Boolean']['output'];
  /** The record sets the provider has onboarded (its template query answered 2xx). */
  templates: Array<DnsRecordType>;
};

/** Where to send the customer, and the size of the consent window the DNS provider asks for. */
export type DomainConnectUrl = {
  __typename?: 'DomainConnectUrl';
  height: Scalars['Int']['output'];
  providerDisplayName: Scalars['String']['output'];
  providerName: Scalars['String']['output'];
  url: Scalars['String']['output'];
  /** Pixels (750 when the provider says nothing). */
  width: Scalars['Int']['output'];
};

export type DomainConnectUrlInput = {
  domain: Scalars['String']['input'];
  /** SYNC unless said otherwise. */
  flow?: InputMaybe<DomainConnectFlow>;
  recordType: DnsRecordType;
  /** Where the provider sends the browser back; its host must be one of the templates' syncRedirectDomain. */
  redirectUri?: InputMaybe<Scalars['String']['input']>;
  /** Passed back on the redirect as `state`. */
  state?: InputMaybe<Scalars['String']['input']>;
};

export type DomainConnectUrlResult = DnsError | DomainConnectUrl;

export type Mutation = {
  __typename?: 'Mutation';
  /** Checks that the credentials can manage the domain at the provider, writing nothing (REST: dns.authorize). */
  authorizeDns: AuthorizeDnsResult;
  /** The Domain Connect URL that applies a record set at the domain's DNS provider (DnsError code 11 when Domain Connect is not available, with the reason). A mutation: it also starts a watch of the domain (REST: dns.connect). */
  domainConnectUrl: DomainConnectUrlResult;
  /** Restores exactly the records one change touched, through the same provider; refused (DnsError code 9, nothing written) when any of them was edited since (REST: dns.revert). */
  revertDnsChange: RevertDnsChangeResult;
  /** Writes the record set through the provider: read, plan, then apply (REST: dns.set). */
  setDnsRecords: SetDnsRecordsResult;
  /** Starts (or restarts) your watch of the record set on the domain, for records added by hand or through another path; its first check is made at once (REST: dns.watch). An applied setDnsRecords starts one too. */
  watchDnsRecords: WatchDnsRecordsResult;
};


export type MutationAuthorizeDnsArgs = {
  input: AuthorizeDnsInput;
};


export type MutationDomainConnectUrlArgs = {
  input: DomainConnectUrlInput;
};


export type MutationRevertDnsChangeArgs = {
  input: RevertDnsChangeInput;
};


export type MutationSetDnsRecordsArgs = {
  input: SetDnsRecordsInput;
};


export type MutationWatchDnsRecordsArgs = {
  domain: Scalars['String']['input'];
  recordType: DnsRecordType;
};

export type Query = {
  __typename?: 'Query';
  /** The journal of the domain's changes, newest first, whatever their status (REST: dns.changes). */
  dnsChanges: Array<DnsChange>;
  /** Detects the DNS provider of a domain (REST: dns.provider). */
  dnsProvider: DnsProviderResult;
  /** Checks the record set on the domain's authoritative name servers (REST: dns.verify). */
  dnsStatus: DnsStatusResult;
  /** Your watches (of one domain, when given), each with its last result and next check (REST: dns.watches). */
  dnsWatches: Array<DnsWatch>;
};


export type QueryDnsChangesArgs = {
  domain: Scalars['String']['input'];
};


export type QueryDnsProviderArgs = {
  domain: Scalars['String']['input'];
};


export type QueryDnsStatusArgs = {
  domain: Scalars['String']['input'];
  recordType: DnsRecordType;
};


export type QueryDnsWatchesArgs = {
  domain?: InputMaybe<Scalars['String']['input']>;
};

export type RevertDnsChangeInput = {
  /** Credentials for the change's provider. */
  credentials: DnsCredentialsInput;
  id: Scalars['ID']['input'];
};

export type RevertDnsChangeResult = DnsError | RevertDnsChangeSuccess;

export type RevertDnsChangeSuccess = {
  __typename?: 'RevertDnsChangeSuccess';
  /** The writes that restored the records. */
  changes: Array<DnsRecordChange>;
  success: Scalars['Boolean']['output'];
};

export type SetDnsRecordsInput = {
  /** Required for every provider but DOMAINCONNECT (a missing apiKey is DnsError code 2). */
  credentials?: InputMaybe<DnsCredentialsInput>;
  domain: Scalars['String']['input'];
  /** Plan only: return the changes and write nothing. */
  dryRun?: InputMaybe<Scalars['Boolean']['input']>;
  /** Replace exactly the conflicting records the plan names. */
  force?: InputMaybe<Scalars['Boolean']['input']>;
  provider: DnsProviderName;
  recordType: DnsRecordType;
};

export type SetDnsRecordsResult = DnsError | SetDnsRecordsSuccess;

export type SetDnsRecordsSuccess = {
  __typename?: 'SetDnsRecordsSuccess';
  /** False for a dry run; true once the zone holds the record set. */
  applied: Scalars['Boolean']['output'];
  changes: Array<DnsRecordChange>;
  success: Scalars['Boolean']['output'];
  /** What the plan could not check, one sentence each; empty when everything was checked (e.g. an SPF record whose DNS-lookup count could not be established because a lookup failed: it is written, and said so here). */
  warnings: Array<Scalars['String']['output']>;
};

export type Subscription = {
  __typename?: 'Subscription';
  /** Your watch of the record set on the domain, as it is now and then at each state change, over Server-Sent Events; completes after READY or EXPIRED. DnsError code 13 when you have no such watch (start one with watchDnsRecords). */
  dnsStatusChanged: DnsStatusChangedResult;
};


export type SubscriptionDnsStatusChangedArgs = {
  domain: Scalars['String']['input'];
  recordType: DnsRecordType;
};

export type WatchDnsRecordsResult = DnsError | DnsWatch;

export type DnsProviderQueryVariables = Exact<{
  domain: Scalars['String']['input'];
}>;


export type DnsProviderQuery = { __typename?: 'Query', dnsProvider:
    | { __typename: 'DnsError', code: number, message: string }
    | { __typename: 'DnsProviderDetection', provider: string, supported: boolean, nameservers: Array<string> }
   };

export type AuthorizeDnsMutationVariables = Exact<{
  input: AuthorizeDnsInput;
}>;


export type AuthorizeDnsMutation = { __typename?: 'Mutation', authorizeDns:
    | { __typename: 'AuthorizeDnsSuccess', success: boolean }
    | { __typename: 'DnsError', code: number, message: string }
   };

export type SetDnsRecordsMutationVariables = Exact<{
  input: SetDnsRecordsInput;
}>;


export type SetDnsRecordsMutation = { __typename?: 'Mutation', setDnsRecords:
    | { __typename: 'DnsError', code: number, message: string }
    | { __typename: 'SetDnsRecordsSuccess', success: boolean, applied: boolean, changes: Array<{ __typename?: 'DnsRecordChange', action: DnsChangeAction, type: string, name: string, content: string, ttl: number, previous?: string | null }> }
   };

export type DnsChangesQueryVariables = Exact<{
  domain: Scalars['String']['input'];
}>;


export type DnsChangesQuery = { __typename?: 'Query', dnsChanges: Array<{ __typename?: 'DnsChange', id: string, domain: string, provider: DnsProviderName, recordType: DnsRecordType, createdAt: string, applied: boolean, revertOf?: string | null, changes: Array<{ __typename?: 'DnsRecordChange', action: DnsChangeAction, type: string, name: string, content: string, ttl: number, previous?: string | null }> }> };

export type RevertDnsChangeMutationVariables = Exact<{
  input: RevertDnsChangeInput;
}>;


export type RevertDnsChangeMutation = { __typename?: 'Mutation', revertDnsChange:
    | { __typename: 'DnsError', code: number, message: string }
    | { __typename: 'RevertDnsChangeSuccess', success: boolean, changes: Array<{ __typename?: 'DnsRecordChange', action: DnsChangeAction, type: string, name: string, content: string, ttl: number, previous?: string | null }> }
   };

export type DnsStatusQueryVariables = Exact<{
  domain: Scalars['String']['input'];
  recordType: DnsRecordType;
}>;


export type DnsStatusQuery = { __typename?: 'Query', dnsStatus:
    | { __typename: 'DnsError', code: number, message: string }
    | { __typename: 'DnsStatus', domain: string, recordType: DnsRecordType, ready: boolean, checkedAt: string, records: Array<{ __typename?: 'DnsRecordStatus', type: string, name: string, expected: string, status: DnsRecordState, servers: Array<{ __typename?: 'DnsServerAnswer', server: string, address: string, result: string, answers: Array<string>, error?: string | null }>, recursive: { __typename?: 'DnsServerAnswer', server: string, result: string, answers: Array<string>, error?: string | null } }>, checks: { __typename?: 'DnsChecks', nameservers: { __typename?: 'DnsNameserversCheck', ok: boolean, servers: Array<{ __typename?: 'DnsNameserverStatus', host: string, address: string, ok: boolean, error?: string | null }> }, spf: { __typename?: 'DnsSpfCheck', ok: boolean, records: number, record?: string | null, include?: boolean | null, lookups?: number | null, voidLookups?: number | null, problem?: string | null }, dmarc: { __typename?: 'DnsDmarcCheck', ok: boolean, record?: string | null, policy?: string | null, problem?: string | null }, dkim: Array<{ __typename?: 'DnsDkimCheck', name: string, target: string, ok: boolean, bits?: number | null, problem?: string | null }> } }
   };

export type DnsWatchFieldsFragment = { __typename?: 'DnsWatch', id: string, domain: string, recordType: DnsRecordType, state: DnsWatchState, version: number, createdAt: string, stateChangedAt: string, expiresAt?: string | null, nextCheckAt?: string | null, lastCheckedAt?: string | null, checkCount: number, lastResult?: { __typename?: 'DnsWatchCheck', checkedAt: string, ready: boolean, error?: string | null, problems: Array<string>, records: Array<{ __typename?: 'DnsWatchRecord', type: string, name: string, expected: string, status: DnsRecordState }>, checks?: { __typename?: 'DnsWatchChecks', nameservers: boolean, spf: boolean, dmarc: boolean, dkim: boolean } | null } | null };

export type WatchDnsRecordsMutationVariables = Exact<{
  domain: Scalars['String']['input'];
  recordType: DnsRecordType;
}>;


export type WatchDnsRecordsMutation = { __typename?: 'Mutation', watchDnsRecords:
    | { __typename: 'DnsError', code: number, message: string }
    | { __typename: 'DnsWatch', id: string, domain: string, recordType: DnsRecordType, state: DnsWatchState, version: number, createdAt: string, stateChangedAt: string, expiresAt?: string | null, nextCheckAt?: string | null, lastCheckedAt?: string | null, checkCount: number, lastResult?: { __typename?: 'DnsWatchCheck', checkedAt: string, ready: boolean, error?: string | null, problems: Array<string>, records: Array<{ __typename?: 'DnsWatchRecord', type: string, name: string, expected: string, status: DnsRecordState }>, checks?: { __typename?: 'DnsWatchChecks', nameservers: boolean, spf: boolean, dmarc: boolean, dkim: boolean } | null } | null }
   };

export type DnsWatchesQueryVariables = Exact<{
  domain?: InputMaybe<Scalars['String']['input']>;
}>;


export type DnsWatchesQuery = { __typename?: 'Query', dnsWatches: Array<{ __typename?: 'DnsWatch', id: string, domain: string, recordType: DnsRecordType, state: DnsWatchState, version: number, createdAt: string, stateChangedAt: string, expiresAt?: string | null, nextCheckAt?: string | null, lastCheckedAt?: string | null, checkCount: number, lastResult?: { __typename?: 'DnsWatchCheck', checkedAt: string, ready: boolean, error?: string | null, problems: Array<string>, records: Array<{ __typename?: 'DnsWatchRecord', type: string, name: string, expected: string, status: DnsRecordState }>, checks?: { __typename?: 'DnsWatchChecks', nameservers: boolean, spf: boolean, dmarc: boolean, dkim: boolean } | null } | null }> };

export type DnsStatusChangedSubscriptionVariables = Exact<{
  domain: Scalars['String']['input'];
  recordType: DnsRecordType;
}>;


export type DnsStatusChangedSubscription = { __typename?: 'Subscription', dnsStatusChanged:
    | { __typename: 'DnsError', code: number, message: string }
    | { __typename: 'DnsWatch', id: string, domain: string, recordType: DnsRecordType, state: DnsWatchState, version: number, createdAt: string, stateChangedAt: string, expiresAt?: string | null, nextCheckAt?: string | null, lastCheckedAt?: string | null, checkCount: number, lastResult?: { __typename?: 'DnsWatchCheck', checkedAt: string, ready: boolean, error?: string | null, problems: Array<string>, records: Array<{ __typename?: 'DnsWatchRecord', type: string, name: string, expected: string, status: DnsRecordState }>, checks?: { __typename?: 'DnsWatchChecks', nameservers: boolean, spf: boolean, dmarc: boolean, dkim: boolean } | null } | null }
   };

export type DnsProviderDomainConnectQueryVariables = Exact<{
  domain: Scalars['String']['input'];
}>;


export type DnsProviderDomainConnectQuery = { __typename?: 'Query', dnsProvider:
    | { __typename: 'DnsError', code: number, message: string }
    | { __typename: 'DnsProviderDetection', provider: string, supported: boolean, domainConnect?: { __typename?: 'DomainConnectInfo', providerId: string, providerName: string, providerDisplayName: string, syncSupported: boolean, asyncSupported: boolean, templates: Array<DnsRecordType> } | null }
   };

export type DomainConnectUrlMutationVariables = Exact<{
  input: DomainConnectUrlInput;
}>;


export type DomainConnectUrlMutation = { __typename?: 'Mutation', domainConnectUrl:
    | { __typename: 'DnsError', code: number, message: string }
    | { __typename: 'DomainConnectUrl', url: string, providerName: string, providerDisplayName: string, width: number, height: number }
   };

export const DnsWatchFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DnsWatchFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsWatch"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"domain"}},{"kind":"Field","name":{"kind":"Name","value":"recordType"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"stateChangedAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"nextCheckAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastCheckedAt"}},{"kind":"Field","name":{"kind":"Name","value":"checkCount"}},{"kind":"Field","name":{"kind":"Name","value":"lastResult"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"checkedAt"}},{"kind":"Field","name":{"kind":"Name","value":"ready"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"problems"}},{"kind":"Field","name":{"kind":"Name","value":"records"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"expected"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"checks"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nameservers"}},{"kind":"Field","name":{"kind":"Name","value":"spf"}},{"kind":"Field","name":{"kind":"Name","value":"dmarc"}},{"kind":"Field","name":{"kind":"Name","value":"dkim"}}]}}]}}]}}]} as unknown as DocumentNode<DnsWatchFieldsFragment, unknown>;
export const DnsProviderDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DnsProvider"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"domain"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"dnsProvider"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"domain"},"value":{"kind":"Variable","name":{"kind":"Name","value":"domain"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsProviderDetection"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"supported"}},{"kind":"Field","name":{"kind":"Name","value":"nameservers"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<DnsProviderQuery, DnsProviderQueryVariables>;
export const AuthorizeDnsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AuthorizeDns"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AuthorizeDnsInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"authorizeDns"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"AuthorizeDnsSuccess"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"success"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<AuthorizeDnsMutation, AuthorizeDnsMutationVariables>;
export const SetDnsRecordsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetDnsRecords"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SetDnsRecordsInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setDnsRecords"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SetDnsRecordsSuccess"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"success"}},{"kind":"Field","name":{"kind":"Name","value":"applied"}},{"kind":"Field","name":{"kind":"Name","value":"changes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"content"}},{"kind":"Field","name":{"kind":"Name","value":"ttl"}},{"kind":"Field","name":{"kind":"Name","value":"previous"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<SetDnsRecordsMutation, SetDnsRecordsMutationVariables>;
export const DnsChangesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DnsChanges"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"domain"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"dnsChanges"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"domain"},"value":{"kind":"Variable","name":{"kind":"Name","value":"domain"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"domain"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"recordType"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"applied"}},{"kind":"Field","name":{"kind":"Name","value":"revertOf"}},{"kind":"Field","name":{"kind":"Name","value":"changes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"content"}},{"kind":"Field","name":{"kind":"Name","value":"ttl"}},{"kind":"Field","name":{"kind":"Name","value":"previous"}}]}}]}}]}}]} as unknown as DocumentNode<DnsChangesQuery, DnsChangesQueryVariables>;
export const RevertDnsChangeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RevertDnsChange"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RevertDnsChangeInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revertDnsChange"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RevertDnsChangeSuccess"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"success"}},{"kind":"Field","name":{"kind":"Name","value":"changes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"content"}},{"kind":"Field","name":{"kind":"Name","value":"ttl"}},{"kind":"Field","name":{"kind":"Name","value":"previous"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<RevertDnsChangeMutation, RevertDnsChangeMutationVariables>;
export const DnsStatusDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DnsStatus"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"domain"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"recordType"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DnsRecordType"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"dnsStatus"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"domain"},"value":{"kind":"Variable","name":{"kind":"Name","value":"domain"}}},{"kind":"Argument","name":{"kind":"Name","value":"recordType"},"value":{"kind":"Variable","name":{"kind":"Name","value":"recordType"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsStatus"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"domain"}},{"kind":"Field","name":{"kind":"Name","value":"recordType"}},{"kind":"Field","name":{"kind":"Name","value":"ready"}},{"kind":"Field","name":{"kind":"Name","value":"checkedAt"}},{"kind":"Field","name":{"kind":"Name","value":"records"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"expected"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"servers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"server"}},{"kind":"Field","name":{"kind":"Name","value":"address"}},{"kind":"Field","name":{"kind":"Name","value":"result"}},{"kind":"Field","name":{"kind":"Name","value":"answers"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}},{"kind":"Field","name":{"kind":"Name","value":"recursive"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"server"}},{"kind":"Field","name":{"kind":"Name","value":"result"}},{"kind":"Field","name":{"kind":"Name","value":"answers"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"checks"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nameservers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ok"}},{"kind":"Field","name":{"kind":"Name","value":"servers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"host"}},{"kind":"Field","name":{"kind":"Name","value":"address"}},{"kind":"Field","name":{"kind":"Name","value":"ok"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"spf"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ok"}},{"kind":"Field","name":{"kind":"Name","value":"records"}},{"kind":"Field","name":{"kind":"Name","value":"record"}},{"kind":"Field","name":{"kind":"Name","value":"include"}},{"kind":"Field","name":{"kind":"Name","value":"lookups"}},{"kind":"Field","name":{"kind":"Name","value":"voidLookups"}},{"kind":"Field","name":{"kind":"Name","value":"problem"}}]}},{"kind":"Field","name":{"kind":"Name","value":"dmarc"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ok"}},{"kind":"Field","name":{"kind":"Name","value":"record"}},{"kind":"Field","name":{"kind":"Name","value":"policy"}},{"kind":"Field","name":{"kind":"Name","value":"problem"}}]}},{"kind":"Field","name":{"kind":"Name","value":"dkim"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"target"}},{"kind":"Field","name":{"kind":"Name","value":"ok"}},{"kind":"Field","name":{"kind":"Name","value":"bits"}},{"kind":"Field","name":{"kind":"Name","value":"problem"}}]}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<DnsStatusQuery, DnsStatusQueryVariables>;
export const WatchDnsRecordsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"WatchDnsRecords"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"domain"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"recordType"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DnsRecordType"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"watchDnsRecords"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"domain"},"value":{"kind":"Variable","name":{"kind":"Name","value":"domain"}}},{"kind":"Argument","name":{"kind":"Name","value":"recordType"},"value":{"kind":"Variable","name":{"kind":"Name","value":"recordType"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsWatch"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"DnsWatchFields"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DnsWatchFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsWatch"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"domain"}},{"kind":"Field","name":{"kind":"Name","value":"recordType"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"stateChangedAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"nextCheckAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastCheckedAt"}},{"kind":"Field","name":{"kind":"Name","value":"checkCount"}},{"kind":"Field","name":{"kind":"Name","value":"lastResult"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"checkedAt"}},{"kind":"Field","name":{"kind":"Name","value":"ready"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"problems"}},{"kind":"Field","name":{"kind":"Name","value":"records"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"expected"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"checks"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nameservers"}},{"kind":"Field","name":{"kind":"Name","value":"spf"}},{"kind":"Field","name":{"kind":"Name","value":"dmarc"}},{"kind":"Field","name":{"kind":"Name","value":"dkim"}}]}}]}}]}}]} as unknown as DocumentNode<WatchDnsRecordsMutation, WatchDnsRecordsMutationVariables>;
export const DnsWatchesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DnsWatches"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"domain"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"dnsWatches"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"domain"},"value":{"kind":"Variable","name":{"kind":"Name","value":"domain"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"DnsWatchFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DnsWatchFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsWatch"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"domain"}},{"kind":"Field","name":{"kind":"Name","value":"recordType"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"stateChangedAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"nextCheckAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastCheckedAt"}},{"kind":"Field","name":{"kind":"Name","value":"checkCount"}},{"kind":"Field","name":{"kind":"Name","value":"lastResult"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"checkedAt"}},{"kind":"Field","name":{"kind":"Name","value":"ready"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"problems"}},{"kind":"Field","name":{"kind":"Name","value":"records"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"expected"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"checks"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nameservers"}},{"kind":"Field","name":{"kind":"Name","value":"spf"}},{"kind":"Field","name":{"kind":"Name","value":"dmarc"}},{"kind":"Field","name":{"kind":"Name","value":"dkim"}}]}}]}}]}}]} as unknown as DocumentNode<DnsWatchesQuery, DnsWatchesQueryVariables>;
export const DnsStatusChangedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"DnsStatusChanged"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"domain"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"recordType"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DnsRecordType"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"dnsStatusChanged"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"domain"},"value":{"kind":"Variable","name":{"kind":"Name","value":"domain"}}},{"kind":"Argument","name":{"kind":"Name","value":"recordType"},"value":{"kind":"Variable","name":{"kind":"Name","value":"recordType"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsWatch"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"DnsWatchFields"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DnsWatchFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsWatch"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"domain"}},{"kind":"Field","name":{"kind":"Name","value":"recordType"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"stateChangedAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"nextCheckAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastCheckedAt"}},{"kind":"Field","name":{"kind":"Name","value":"checkCount"}},{"kind":"Field","name":{"kind":"Name","value":"lastResult"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"checkedAt"}},{"kind":"Field","name":{"kind":"Name","value":"ready"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"problems"}},{"kind":"Field","name":{"kind":"Name","value":"records"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"expected"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"checks"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nameservers"}},{"kind":"Field","name":{"kind":"Name","value":"spf"}},{"kind":"Field","name":{"kind":"Name","value":"dmarc"}},{"kind":"Field","name":{"kind":"Name","value":"dkim"}}]}}]}}]}}]} as unknown as DocumentNode<DnsStatusChangedSubscription, DnsStatusChangedSubscriptionVariables>;
export const DnsProviderDomainConnectDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DnsProviderDomainConnect"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"domain"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"dnsProvider"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"domain"},"value":{"kind":"Variable","name":{"kind":"Name","value":"domain"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsProviderDetection"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"supported"}},{"kind":"Field","name":{"kind":"Name","value":"domainConnect"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"providerId"}},{"kind":"Field","name":{"kind":"Name","value":"providerName"}},{"kind":"Field","name":{"kind":"Name","value":"providerDisplayName"}},{"kind":"Field","name":{"kind":"Name","value":"syncSupported"}},{"kind":"Field","name":{"kind":"Name","value":"asyncSupported"}},{"kind":"Field","name":{"kind":"Name","value":"templates"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<DnsProviderDomainConnectQuery, DnsProviderDomainConnectQueryVariables>;
export const DomainConnectUrlDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DomainConnectUrl"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DomainConnectUrlInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"domainConnectUrl"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DomainConnectUrl"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"providerName"}},{"kind":"Field","name":{"kind":"Name","value":"providerDisplayName"}},{"kind":"Field","name":{"kind":"Name","value":"width"}},{"kind":"Field","name":{"kind":"Name","value":"height"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<DomainConnectUrlMutation, DomainConnectUrlMutationVariables>;