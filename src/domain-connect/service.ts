/**
 * Domain Connect for the procedures: what a domain's DNS provider offers (discovery), the signed synchronous apply
 * URL (DC-spec "Apply Template URL", "Digitally Sign Requests"), and the templates served for
 * onboarding. Knows nothing of HTTP transports; throws AppError with code 11 (not available) or 1 (a bad redirect).
 *
 * Both paths write the same records: the apply URL carries the very template variables dns.set resolves (the
 * operator's MAIL_* configuration), and a group that would replace a record dns.set keeps (the DMARC record, when the
 * domain already has one: dns.set keeps it, essential OnApply) is left out of the apply with `groupId`.
 */
import type { Dispatcher } from 'undici';
import { AppError } from '../errors.js';
import type { Log, Logger } from '../logger.js';
import type { DomainConnectSettings, OAuthClient } from '../config.js';
import type { Resolver } from '../detection/resolver.js';
import { registrableDomain } from '../domain.js';
import { RECORD_SET_TYPES, type RecordSetType, type TemplateSet } from '../records/template.js';
import type { Store } from '../storage/store.js';
import type { ChangeJournal, JournalEntry, JournalWrite } from '../services/journal.js';
import type { ChangeView, SetRecordsResult } from '../services/dns-service.js';
import { createDomainConnectDiscovery, type Discovery, type DomainConnectDiscovery, type ProviderSettings } from './discovery.js';
import { checkDestination, guardedRequest, GuardedHttpError, RefusedDestinationError, type GuardedReply } from './http.js';
import { exchangeCode, OAuthError, refreshTokens, type TokenSet } from './oauth.js';
import { seal, SealError, unseal } from './seal.js';
import { encodeQuery, signQuery } from './sign.js';
import { hostUnder, serveTemplate, templateHostName, type DcTemplate, type DcTemplateRecord, type ServedTemplate } from './template.js';

/** The journal's provider name for changes a DNS provider applied through Domain Connect. */
export const DOMAIN_CONNECT_PROVIDER = 'domainconnect';
/** How long a consent may take, from dns.connect to the callback. */
const STATE_LIFETIME_MS = 30 * 60 * 1000;
/** An access token this close to its expiry is refreshed before use. */
const EXPIRY_SKEW_MS = 30_000;
export const CALLBACK_PATH = '/domain-connect/callback';

/** What GraphQL's `DnsProviderDetection.domainConnect` shows. */
export interface DomainConnectInfo {
  readonly providerId: string;
  readonly providerName: string;
  readonly providerDisplayName: string;
  /** The provider offers the synchronous flow for this domain (its settings name a urlSyncUX). */
  readonly syncSupported: boolean;
  /** The provider offers the asynchronous flow (urlAsyncUX) and this gateway holds OAuth client credentials for it. */
  readonly asyncSupported: boolean;
  /** The record sets the provider has onboarded (its template probe answered 2xx). */
  readonly templates: readonly RecordSetType[];
}

export interface ConnectRequest {
  readonly domain: string;
  readonly recordType: RecordSetType;
  readonly redirectUri?: string | undefined;
  readonly state?: string | undefined;
  /** The request's logger (its lines carry the request id); the service's own when absent. */
  readonly logger?: Log | undefined;
}

/** The answer of dns.connect / domainConnectUrl. */
export interface ConnectUrl {
  readonly url: string;
  readonly providerName: string;
  readonly providerDisplayName: string;
  /** The consent window's size the provider asks for (DC-spec "DNS Provider Discovery", default 750). */
  readonly width: number;
  readonly height: number;
}

export interface AsyncConnectRequest extends ConnectRequest {
  /** Who asked (journal form), carried through the consent in the sealed state. */
  readonly principal: string;
  /** The caller's account (src/auth/account.ts), carried likewise: the apply's journal entry belongs to it. */
  readonly account: string;
}

export interface AsyncApplyCommand {
  readonly domain: string;
  readonly recordType: RecordSetType;
  readonly force: boolean;
  readonly principal: string;
  /** The account whose authorization is used (its own only, see `applyAsync`) and whose journal entry it is. */
  readonly account: string;
  /** The request's logger (its lines carry the request id); the service's own when absent. */
  readonly logger?: Log | undefined;
}

/** What GET /domain-connect/callback answers: a redirect to the caller's RedirectURI, or a JSON body. */
export type CallbackOutcome =
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'json'; readonly status: number; readonly body: Record<string, unknown> };

export interface DomainConnectService {
  readonly enabled: boolean;
  /** The served template of a record set (GET /domain-connect/templates/<serviceId>.json); null when off. */
  servedTemplate(serviceId: string): DcTemplate | null;
  /** Discovery as GraphQL shows it: null when off or not available. Never throws for the domain's own failures. */
  info(domain: string): Promise<DomainConnectInfo | null>;
  /** The signed synchronous apply URL. */
  syncUrl(request: ConnectRequest): Promise<ConnectUrl>;
  /** The OAuth consent URL of the asynchronous flow (DC-spec "OAuth Flow: Getting an Authorization Code"). */
  asyncUrl(request: AsyncConnectRequest): Promise<ConnectUrl>;
  /** GET /domain-connect/callback: exchanges the code, stores the tokens (sealed), applies the record set. */
  callback(params: URLSearchParams, logger?: Log): Promise<CallbackOutcome>;
  /** Applies a record set through the stored authorization (dns.set Provider=domainconnect); journaled. */
  applyAsync(command: AsyncApplyCommand): Promise<SetRecordsResult>;
}

export interface DomainConnectDeps {
  readonly settings: DomainConnectSettings;
  readonly templates: TemplateSet;
  readonly templateVariables: Readonly<Record<string, string>>;
  readonly resolver: Pick<Resolver, 'query' | 'resolveTxt'>;
  readonly dispatcher: Dispatcher;
  readonly logger: Logger;
  /** Where the OAuth tokens are kept (sealed), per (account, domain). */
  readonly store: Pick<Store, 'getDomainConnectToken' | 'putDomainConnectToken'>;
  readonly journal: ChangeJournal;
  /** This service's public address (PUBLIC_URL, or the listening address), for the OAuth callback. */
  readonly publicUrl: () => string;
  /** Deadline of one asynchronous apply (token refresh and retry included): PROVIDER_DEADLINE_MS. */
  readonly applyTimeoutMs: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The consent in flight, sealed into the OAuth `state`. */
interface PendingConsent {
  /** Domain (normalised). */
  readonly d: string;
  /** The DNS provider's providerId. */
  readonly p: string;
  readonly r: RecordSetType;
  /** Principal. */
  readonly u: string;
  /**
   * Account: the callback stores the authorization for it, and journals the apply to it (absent in a state sealed
   * before accounts: then the principal, which is the account of most callers).
   */
  readonly a?: string;
  /** Expiry, epoch ms. */
  readonly x: number;
  /** The caller's state and RedirectURI, if any. */
  readonly s?: string;
  readonly ru?: string;
  /** Scope asked for. */
  readonly sc: readonly string[];
}

export function createDomainConnectService(deps: DomainConnectDeps): DomainConnectService {
  const { settings } = deps;
  if (!settings.enabled) return disabledService();
  const providerId = settings.providerId!;
  const privateKey = settings.privateKey!;
  // Built once at start-up: a template that cannot be served (a %host%, a variable not configured) stops start-up.
  const served = new Map<string, ServedTemplate>(
    deps.templates.templates.map((template) => [
      template.serviceId,
      serveTemplate(template, {
        providerId,
        providerName: settings.providerName,
        syncPubKeyDomain: settings.syncPubKeyDomain!,
        syncRedirectDomains: settings.syncRedirectDomains,
        variables: deps.templateVariables,
      }),
    ]),
  );
  const discovery: DomainConnectDiscovery = createDomainConnectDiscovery({
    resolver: deps.resolver,
    dispatcher: deps.dispatcher,
    providerId,
    serviceIds: [...served.keys()],
    settingsUrl: settings.settingsUrl,
    allowPrivate: settings.allowPrivate,
    timeoutMs: settings.timeoutMs,
    cacheSeconds: settings.cacheSeconds,
  });

  const servedFor = (recordType: RecordSetType): ServedTemplate => served.get(recordType)!;

  /** Available discovery, or code 11 with the reason. */
  const discover = async (domain: string): Promise<Extract<Discovery, { available: true }>> => {
    const found = await discovery.discover(domain);
    if (!found.available) throw AppError.of(found.unreachable ? 'DOMAIN_CONNECT_UNREACHABLE' : 'DOMAIN_CONNECT_UNAVAILABLE', found.reason);
    return found;
  };

  const requireTemplate = (found: Extract<Discovery, { available: true }>, recordType: RecordSetType) => {
    if (found.templates[recordType]) return;
    // No usable answer to the template query is not "not onboarded": say what happened (502 when unreachable).
    const failure = found.probeFailures[recordType];
    if (failure) throw AppError.of(failure.unreachable ? 'DOMAIN_CONNECT_UNREACHABLE' : 'DOMAIN_CONNECT_UNAVAILABLE', failure.reason);
    throw AppError.of('DOMAIN_CONNECT_UNAVAILABLE', `the DNS provider ${found.settings.providerName} has not onboarded the template ${providerId}/${recordType}`);
  };

  /**
   * The groups to apply at `fqdn`, or null for all of them. A group that only adds a TXT record the domain already
   * has one like (the DMARC record, essential OnApply) is left out, as dns.set keeps the existing record. When that
   * cannot be checked (the lookup failed) the group is left out too: an existing policy is never replaced blindly.
   */
  const groupsToApply = async (template: ServedTemplate, fqdn: string, log: Log): Promise<string[] | null> => {
    if (template.onApplyGroups.length === 0) return null;
    const skipped = new Set<string>();
    for (const group of template.onApplyGroups) {
      const name = templateHostName(group.host, fqdn, deps.templateVariables);
      try {
        const values = await deps.resolver.resolveTxt(name);
        const prefix = (group.prefix ?? '').toLowerCase();
        if (values.some((v) => group.mode === 'All' || v.toLowerCase().startsWith(prefix))) skipped.add(group.groupId);
      } catch (error) {
        log.warn({ name, err: { message: (error as Error).message } }, 'Domain Connect: could not read the existing TXT records; the group is left out');
        skipped.add(group.groupId);
      }
    }
    return skipped.size === 0 ? null : template.groups.filter((g) => !skipped.has(g));
  };

  /** `domain=…&host=…&<variables>[&groupId=…]`: the part every apply (sync URL, async API) starts with. */
  const applyQuery = async (template: ServedTemplate, apex: string, fqdn: string, log: Log): Promise<[string, string][]> => {
    const pairs: [string, string][] = [
      ['domain', apex],
      ['host', hostUnder(fqdn, apex)],
    ];
    for (const name of template.variables) pairs.push([name, variableValue(deps.templateVariables, name)]);
    const groups = await groupsToApply(template, fqdn, log);
    if (groups !== null) pairs.push(['groupId', groups.join(',')]);
    return pairs;
  };

  const now = deps.now ?? Date.now;
  const tokenKey = settings.tokenKey;
  const callbackUrl = () => `${deps.publicUrl()}${CALLBACK_PATH}`;
  const allowHttp = settings.settingsUrl.startsWith('http:');

  const clientFor = (dnsProviderId: string): OAuthClient | undefined =>
    Object.hasOwn(settings.oauthClients, dnsProviderId) ? settings.oauthClients[dnsProviderId] : undefined;

  const loadTokens = async (account: string, domain: string, log: Log): Promise<{ providerId: string; tokens: TokenSet } | null> => {
    if (!tokenKey) return null;
    const row = await deps.store.getDomainConnectToken(account, domain);
    if (!row) return null;
    try {
      return { providerId: row.providerId, tokens: unseal<TokenSet>(tokenKey, row.sealed, `dc-token:${domain}`) };
    } catch (error) {
      if (!(error instanceof SealError)) throw error;
      // A changed DOMAIN_CONNECT_TOKEN_KEY, or a row not written by this service: as if there were none.
      log.warn({ domain }, 'a stored Domain Connect authorization does not open with DOMAIN_CONNECT_TOKEN_KEY; it is ignored');
      return null;
    }
  };

  const storeTokens = (account: string, domain: string, providerId: string, tokens: TokenSet) =>
    deps.store.putDomainConnectToken({ account, domain, providerId, sealed: seal(tokenKey!, tokens, `dc-token:${domain}`), updatedAt: new Date(now()).toISOString() });

  /** The records an apply asks the provider for, as journal writes (CREATE: the provider does not say what was there). */
  const requestedWrites = async (template: ServedTemplate, domain: string, log: Log): Promise<{ writes: JournalWrite[]; groups: string[] | null }> => {
    const groups = await groupsToApply(template, domain, log);
    const records = template.template.records.filter((r) => groups === null || (r.groupId !== undefined && groups.includes(r.groupId)));
    return { groups, writes: records.map((r) => ({ action: 'CREATE' as const, before: null, after: servedRecordFor(r, domain, deps.templateVariables) })) };
  };

  /**
   * DC-spec "OAuth Flow: Apply Template to Domain": POST the apply with the access token. An access token at its
   * expiry is refreshed first; a 401 refreshes it once and tries again. 2xx applied; 409 the conflicting records
   * (code 9); other 4xx the provider's refusal (code 9); 5xx or no answer code 10. Journaled write-ahead.
   */
  async function applyWithToken(command: AsyncApplyCommand, stored: { providerId: string; tokens: TokenSet }): Promise<SetRecordsResult> {
    const log = command.logger ?? deps.logger;
    const client = clientFor(stored.providerId);
    if (!client) {
      throw AppError.of('DOMAIN_CONNECT_UNAVAILABLE', `no OAuth client is configured for the DNS provider ${stored.providerId} (DOMAIN_CONNECT_OAUTH_CLIENTS)`);
    }
    const apex = registrableDomain(command.domain) ?? command.domain;
    const template = servedFor(command.recordType);
    if (stored.tokens.scope.length > 0 && !stored.tokens.scope.includes(command.recordType)) {
      throw AppError.of('DOMAIN_CONNECT_UNAVAILABLE', `the stored authorization does not cover ${command.recordType}: run dns.connect with Flow=async for it`);
    }
    const deadline = now() + deps.applyTimeoutMs;
    const pairs = await applyQuery(template, apex, command.domain, log);
    if (command.force) pairs.push(['force', '1']);
    let applyUrl: URL;
    try {
      applyUrl = checkDestination(
        `${client.apiUrl}/v2/domainTemplates/providers/${encodeURIComponent(providerId)}/services/${encodeURIComponent(command.recordType)}/apply?${encodeQuery(pairs)}`,
        { allowPrivate: settings.allowPrivate, allowHttp, what: `the OAuth client's apiUrl for ${stored.providerId}` },
      );
    } catch (error) {
      if (error instanceof RefusedDestinationError) throw AppError.of('DOMAIN_CONNECT_UNAVAILABLE', error.message);
      throw error;
    }
    const { writes } = await requestedWrites(template, command.domain, log);
    const views: ChangeView[] = writes.map((w) => ({ action: 'CREATE', type: w.after!.type, name: w.after!.name, content: w.after!.content, ttl: w.after!.ttl, previous: null }));

    let tokens = stored.tokens;
    let refreshed = false;
    const refresh = async () => {
      if (!tokens.refreshToken) throw AppError.of('SET_FAILED', 'the Domain Connect authorization has expired and cannot be refreshed: run dns.connect with Flow=async again');
      try {
        tokens = await refreshTokens({ dispatcher: deps.dispatcher, client, deadline, scope: tokens.scope, refreshToken: tokens.refreshToken, now });
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        throw error.kind === 'refused'
          ? AppError.of('SET_FAILED', `the DNS provider refused to refresh the Domain Connect authorization (${error.message}): run dns.connect with Flow=async again`)
          : AppError.of('SET_ERROR', `the Domain Connect authorization could not be refreshed: ${error.message}`);
      }
      refreshed = true;
      await storeTokens(command.account, command.domain, stored.providerId, tokens);
    };
    const post = (): Promise<GuardedReply> =>
      guardedRequest(deps.dispatcher, applyUrl, { method: 'POST', headers: { authorization: `Bearer ${tokens.accessToken}`, accept: 'application/json' }, deadline, maxBodyBytes: 256 * 1024 });

    if (tokens.expiresAt <= now() + EXPIRY_SKEW_MS) await refresh();
    let entry: JournalEntry;
    try {
      entry = await deps.journal.begin({ principal: command.principal, account: command.account, domain: command.domain, provider: DOMAIN_CONNECT_PROVIDER, recordType: command.recordType, revertOf: null, writes });
    } catch (error) {
      log.error({ err: error, domain: command.domain }, 'could not journal the Domain Connect apply; nothing was sent');
      throw AppError.of('JOURNAL_FAILED', undefined, { cause: error });
    }
    const complete = async (status: 'applied' | 'failed') => {
      try {
        await deps.journal.complete(entry, { status, writes: status === 'applied' ? writes : [] });
      } catch (error) {
        log.error({ err: error, domain: command.domain, changeId: entry.id }, 'could not complete the journal entry of a Domain Connect apply; it stays pending');
      }
    };
    let reply: GuardedReply;
    try {
      reply = await post();
      if (reply.status === 401 && !refreshed) {
        await refresh();
        reply = await post();
      }
    } catch (error) {
      await complete('failed');
      if (error instanceof AppError) throw error;
      if (error instanceof GuardedHttpError) {
        // The request may or may not have reached the provider: say so, as for any lost write.
        throw AppError.of('SET_ERROR', `the DNS provider's Domain Connect API did not answer (${error.message}); the template may or may not have been applied: run the same dns.set again`);
      }
      throw error;
    }
    if (reply.status >= 200 && reply.status <= 299) {
      await complete('applied');
      log.info({ provider: DOMAIN_CONNECT_PROVIDER, dnsProvider: stored.providerId, domain: command.domain, recordType: command.recordType, writes: writes.length }, 'dns records applied through Domain Connect');
      return { applied: true, changes: views, warnings: [] };
    }
    await complete('failed');
    throw applyRefusal(reply, stored.providerId);
  }

  return {
    enabled: true,

    servedTemplate: (serviceId) => served.get(serviceId)?.template ?? null,

    async info(domain) {
      const found = await discovery.discover(domain);
      if (!found.available) return null;
      return infoOf(found.settings, found.templates, settings);
    },

    async syncUrl(request) {
      checkRedirectUri(request.redirectUri, settings.syncRedirectDomains);
      const found = await discover(request.domain);
      const { settings: provider } = found;
      if (provider.urlSyncUX === null) {
        throw AppError.of(
          'DOMAIN_CONNECT_UNAVAILABLE',
          provider.urlAsyncUX !== null
            ? `the DNS provider ${provider.providerName} supports only the asynchronous flow for this domain`
            : `the DNS provider ${provider.providerName} offers neither flow for this domain`,
        );
      }
      requireTemplate(found, request.recordType);
      const template = servedFor(request.recordType);
      const pairs = await applyQuery(template, found.apex, request.domain, request.logger ?? deps.logger);
      if (request.redirectUri !== undefined) pairs.push(['redirect_uri', request.redirectUri]);
      if (request.state !== undefined) pairs.push(['state', request.state]);
      const path = `/v2/domainTemplates/providers/${encodeURIComponent(providerId)}/services/${encodeURIComponent(request.recordType)}/apply`;
      const query = signQuery(encodeQuery(pairs), privateKey, settings.keyHost);
      return {
        url: `${provider.urlSyncUX}${path}?${query}`,
        providerName: provider.providerName,
        providerDisplayName: provider.providerDisplayName,
        width: provider.width,
        height: provider.height,
      };
    },

    async asyncUrl(request) {
      checkRedirectUri(request.redirectUri, settings.syncRedirectDomains);
      if (!tokenKey || Object.keys(settings.oauthClients).length === 0) {
        throw AppError.of('DOMAIN_CONNECT_UNAVAILABLE', 'the asynchronous flow is not set up on this server (no OAuth clients)');
      }
      const found = await discover(request.domain);
      const { settings: provider } = found;
      if (provider.urlAsyncUX === null) {
        throw AppError.of(
          'DOMAIN_CONNECT_UNAVAILABLE',
          provider.urlSyncUX !== null
            ? `the DNS provider ${provider.providerName} supports only the synchronous flow for this domain`
            : `the DNS provider ${provider.providerName} offers neither flow for this domain`,
        );
      }
      const client = clientFor(provider.providerId);
      if (!client) throw AppError.of('DOMAIN_CONNECT_UNAVAILABLE', `no OAuth client is configured for the DNS provider ${provider.providerName} (${provider.providerId})`);
      requireTemplate(found, request.recordType);
      // One consent for every record set the provider onboarded (DC-spec: scope is a space-separated list).
      const scope = RECORD_SET_TYPES.filter((type) => found.templates[type] === true);
      const state: PendingConsent = {
        d: request.domain,
        p: provider.providerId,
        r: request.recordType,
        u: request.principal,
        a: request.account,
        x: now() + STATE_LIFETIME_MS,
        sc: scope,
        ...(request.state !== undefined ? { s: request.state } : {}),
        ...(request.redirectUri !== undefined ? { ru: request.redirectUri } : {}),
      };
      const template = servedFor(request.recordType);
      // "any variables impacting conflicting records should be provided in the consent flow"
      const pairs: [string, string][] = [
        ['domain', found.apex],
        ['host', hostUnder(request.domain, found.apex)],
        ['client_id', client.clientId],
        ['redirect_uri', callbackUrl()],
        ['response_type', 'code'],
        ['scope', scope.join(' ')],
        ['state', seal(tokenKey, state, 'dc-state')],
        ...template.variables.map((name): [string, string] => [name, variableValue(deps.templateVariables, name)]),
      ];
      return {
        url: `${provider.urlAsyncUX}/v2/domainTemplates/providers/${encodeURIComponent(providerId)}?${encodeQuery(pairs)}`,
        providerName: provider.providerName,
        providerDisplayName: provider.providerDisplayName,
        width: provider.width,
        height: provider.height,
      };
    },

    async callback(params, log = deps.logger) {
      const invalid: CallbackOutcome = { kind: 'json', status: 400, body: { success: false, message: 'The Domain Connect callback is invalid or has expired: start again with dns.connect' } };
      const sealedState = params.get('state');
      if (!tokenKey || !sealedState) return invalid;
      let consent: PendingConsent;
      try {
        consent = unseal<PendingConsent>(tokenKey, sealedState, 'dc-state');
      } catch (error) {
        if (error instanceof SealError) return invalid;
        throw error;
      }
      if (typeof consent.x !== 'number' || consent.x < now()) return invalid;
      const answer = (status: number, outcome: { error?: string; message: string }): CallbackOutcome => {
        if (consent.ru !== undefined) {
          const url = new URL(consent.ru);
          if (outcome.error !== undefined) {
            url.searchParams.set('error', outcome.error);
            url.searchParams.set('error_description', outcome.message);
          }
          if (consent.s !== undefined) url.searchParams.set('state', consent.s);
          return { kind: 'redirect', location: url.href };
        }
        return { kind: 'json', status, body: outcome.error === undefined ? { success: true, domain: consent.d, recordType: consent.r, message: outcome.message } : { success: false, error: outcome.error, message: outcome.message } };
      };
      const providerError = params.get('error');
      if (providerError !== null) {
        // RFC 6749 §4.1.2.1 error codes are short words; anything else is not repeated.
        const word = /^[a-z_]{1,40}$/.test(providerError) ? providerError : 'server_error';
        return answer(400, { error: word, message: `the DNS provider did not grant access (${word})` });
      }
      const code = params.get('code');
      const client = clientFor(consent.p);
      if (!code || !client) return invalid;
      let tokens: TokenSet;
      try {
        tokens = await exchangeCode({ dispatcher: deps.dispatcher, client, deadline: now() + deps.applyTimeoutMs, scope: consent.sc, code, redirectUri: callbackUrl(), now });
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        log.warn({ domain: consent.d, dnsProvider: consent.p, reason: error.message }, 'Domain Connect code exchange failed');
        return answer(502, { error: 'server_error', message: `the authorization could not be completed: ${error.message}` });
      }
      // Stored for the account that started the flow (sealed in the state), whoever's browser brings the code back.
      const account = consent.a ?? consent.u;
      await storeTokens(account, consent.d, consent.p, tokens);
      try {
        await applyWithToken({ domain: consent.d, recordType: consent.r, force: false, principal: consent.u, account, logger: log }, { providerId: consent.p, tokens });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        return answer(error.httpStatus, { error: error.primary.code === 9 ? 'conflict' : 'server_error', message: error.primary.message });
      }
      return answer(200, { message: `the ${consent.r} records were applied to ${consent.d}` });
    },

    async applyAsync(command) {
      // Only the caller's own account's authorization, even for a caller holding Admin: a token is the customer's
      // consent given to one caller, not a journal row to inspect. Another account's authorization for the domain is
      // answered exactly as none at all (the same error, no hint that one exists).
      const stored = await loadTokens(command.account, command.domain, command.logger ?? deps.logger);
      if (!stored) {
        throw AppError.of('DOMAIN_CONNECT_UNAVAILABLE', `no Domain Connect authorization is stored for ${command.domain}: run dns.connect with Flow=async first`);
      }
      return applyWithToken(command, stored);
    },
  };
}

/** A served template record for one domain, in the journal's form (SPFM keeps its type: the provider merges it). */
function servedRecordFor(record: DcTemplateRecord, fqdn: string, variables: Readonly<Record<string, string>>) {
  const substitute = (text: string) =>
    text.replace(/%([^%]+)%/g, (_t, name: string) => (name.toLowerCase() === 'fqdn' || name.toLowerCase() === 'domain' ? fqdn : variableValue(variables, name)));
  const content = record.type === 'SPFM' ? substitute(record.spfRules ?? '') : record.type === 'TXT' ? substitute(record.data ?? '') : substitute(record.pointsTo ?? '').toLowerCase().replace(/\.$/, '');
  return { type: record.type, name: templateHostName(substitute(record.host), fqdn, variables), content, ttl: record.ttl ?? 3600, priority: record.priority ?? null };
}

/** A non-2xx apply answer as the caller sees it (never the provider's body beyond the records and a short message). */
function applyRefusal(reply: GuardedReply, dnsProviderId: string): AppError {
  let json: { message?: unknown; records?: unknown } | undefined;
  try {
    json = JSON.parse(reply.body.toString('utf8')) as typeof json;
  } catch {
    json = undefined;
  }
  if (reply.status === 409) {
    const records = Array.isArray(json?.records) ? (json!.records as { type?: unknown; host?: unknown; data?: unknown }[]) : [];
    const named = records
      .slice(0, 20)
      .map((r) => `${short(r.type)} ${short(r.host)} ${JSON.stringify(short(r.data))}`)
      .join(', ');
    return AppError.of('SET_FAILED', `the DNS provider reported conflicting records${named ? `: ${named}` : ''} (Force replaces them)`);
  }
  if (reply.status === 401 || reply.status === 403) {
    return AppError.of('SET_FAILED', `the DNS provider ${dnsProviderId} refused the Domain Connect authorization (HTTP ${reply.status}): run dns.connect with Flow=async again`);
  }
  const message = typeof json?.message === 'string' ? `: ${short(json.message)}` : '';
  return reply.status >= 500
    ? AppError.of('SET_ERROR', `the DNS provider's Domain Connect API answered HTTP ${reply.status}${message}`)
    : AppError.of('SET_FAILED', `the DNS provider refused the template (HTTP ${reply.status}${message})`);
}

/** Provider text in a message: a printable string of at most 120 characters. */
function short(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 120);
}

function infoOf(provider: ProviderSettings, templates: Readonly<Record<string, boolean>>, settings: DomainConnectSettings): DomainConnectInfo {
  return {
    providerId: provider.providerId,
    providerName: provider.providerName,
    providerDisplayName: provider.providerDisplayName,
    syncSupported: provider.urlSyncUX !== null,
    asyncSupported: provider.urlAsyncUX !== null && Object.hasOwn(settings.oauthClients, provider.providerId),
    templates: RECORD_SET_TYPES.filter((type) => templates[type] === true),
  };
}

/** A template variable's configured value; DC names are case-sensitive, our configuration's are not. */
function variableValue(variables: Readonly<Record<string, string>>, name: string): string {
  const value = variables[name] ?? Object.entries(variables).find(([k]) => k.toUpperCase() === name.toUpperCase())?.[1];
  if (value === undefined) throw new Error(`template variable ${name} is not configured`);
  return value;
}

/**
 * DC-spec "Apply Template URL": the redirect_uri "must be scoped to the syncRedirectDomain from the template". Accepted: an http(s)
 * URL without credentials whose host is one of DOMAIN_CONNECT_SYNC_REDIRECT_DOMAIN or a name below one.
 */
export function checkRedirectUri(redirectUri: string | undefined, domains: readonly string[]): void {
  if (redirectUri === undefined) return;
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    throw AppError.of('REDIRECT_URI_INVALID', 'RedirectURI is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw AppError.of('REDIRECT_URI_INVALID', 'RedirectURI must be an http(s) URL');
  if (url.username !== '' || url.password !== '') throw AppError.of('REDIRECT_URI_INVALID', 'RedirectURI must not carry credentials');
  if (domains.length === 0) {
    throw AppError.of('REDIRECT_URI_INVALID', 'no redirect domain is configured on this server (DOMAIN_CONNECT_SYNC_REDIRECT_DOMAIN), so RedirectURI cannot be used');
  }
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (!domains.some((d) => host === d || host.endsWith(`.${d}`))) {
    throw AppError.of('REDIRECT_URI_INVALID', `the host ${JSON.stringify(host.slice(0, 100))} is not in the templates' syncRedirectDomain (${domains.join(', ')})`);
  }
}

function disabledService(): DomainConnectService {
  const off = () => AppError.of('DOMAIN_CONNECT_UNAVAILABLE', 'Domain Connect is not set up on this server');
  return {
    enabled: false,
    servedTemplate: () => null,
    info: async () => null,
    syncUrl: async () => {
      throw off();
    },
    asyncUrl: async () => {
      throw off();
    },
    callback: async () => ({ kind: 'json', status: 404, body: { success: false, message: 'Domain Connect is not set up on this server' } }),
    applyAsync: async () => {
      throw off();
    },
  };
}
