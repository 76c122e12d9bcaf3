/**
 * Domain Connect for the procedures: what a domain's DNS provider offers (discovery), the signed synchronous apply
 * URL (DC-spec §4.2.2 "Apply Template", §4.2.6.3 "Digitally Sign Requests"), and the templates served for
 * onboarding. Knows nothing of HTTP transports; throws AppError with code 11 (not available) or 1 (a bad redirect).
 *
 * Both paths write the same records: the apply URL carries the very template variables dns.set resolves (the
 * operator's MAIL_* configuration), and a group that would replace a record dns.set keeps (the DMARC record, when the
 * domain already has one: dns.set keeps it, essential OnApply) is left out of the apply with `groupId`.
 */
import type { Dispatcher } from 'undici';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DomainConnectSettings } from '../config.js';
import type { Resolver } from '../detection/resolver.js';
import { RECORD_SET_TYPES, type RecordSetType, type TemplateSet } from '../records/template.js';
import { createDomainConnectDiscovery, type Discovery, type DomainConnectDiscovery, type ProviderSettings } from './discovery.js';
import { encodeQuery, signQuery } from './sign.js';
import { hostUnder, serveTemplate, templateHostName, type DcTemplate, type ServedTemplate } from './template.js';

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
}

/** The answer of dns.connect / domainConnectUrl. */
export interface ConnectUrl {
  readonly url: string;
  readonly providerName: string;
  readonly providerDisplayName: string;
  /** The consent window's size the provider asks for (DC-spec §3, default 750). */
  readonly width: number;
  readonly height: number;
}

export interface DomainConnectService {
  readonly enabled: boolean;
  /** The served template of a record set (GET /domain-connect/templates/<serviceId>.json); null when off. */
  servedTemplate(serviceId: string): DcTemplate | null;
  /** Discovery as GraphQL shows it: null when off or not available. Never throws for the domain's own failures. */
  info(domain: string): Promise<DomainConnectInfo | null>;
  /** The signed synchronous apply URL. */
  syncUrl(request: ConnectRequest): Promise<ConnectUrl>;
}

export interface DomainConnectDeps {
  readonly settings: DomainConnectSettings;
  readonly templates: TemplateSet;
  readonly templateVariables: Readonly<Record<string, string>>;
  readonly resolver: Pick<Resolver, 'query' | 'resolveTxt'>;
  readonly dispatcher: Dispatcher;
  readonly logger: Logger;
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
    if (!found.templates[recordType]) {
      throw AppError.of(
        'DOMAIN_CONNECT_UNAVAILABLE',
        `the DNS provider ${found.settings.providerName} has not onboarded the template ${providerId}/${recordType}`,
      );
    }
  };

  /**
   * The groups to apply at `fqdn`, or null for all of them. A group that only adds a TXT record the domain already
   * has one like (the DMARC record, essential OnApply) is left out, as dns.set keeps the existing record. When that
   * cannot be checked (the lookup failed) the group is left out too: an existing policy is never replaced blindly.
   */
  const groupsToApply = async (template: ServedTemplate, fqdn: string): Promise<string[] | null> => {
    if (template.onApplyGroups.length === 0) return null;
    const skipped = new Set<string>();
    for (const group of template.onApplyGroups) {
      const name = templateHostName(group.host, fqdn, deps.templateVariables);
      try {
        const values = await deps.resolver.resolveTxt(name);
        const prefix = (group.prefix ?? '').toLowerCase();
        if (values.some((v) => group.mode === 'All' || v.toLowerCase().startsWith(prefix))) skipped.add(group.groupId);
      } catch (error) {
        deps.logger.warn({ name, err: { message: (error as Error).message } }, 'Domain Connect: could not read the existing TXT records; the group is left out');
        skipped.add(group.groupId);
      }
    }
    return skipped.size === 0 ? null : template.groups.filter((g) => !skipped.has(g));
  };

  /** `domain=…&host=…&<variables>[&groupId=…]`: the part every apply (sync URL, async API) starts with. */
  const applyQuery = async (template: ServedTemplate, apex: string, fqdn: string): Promise<[string, string][]> => {
    const pairs: [string, string][] = [
      ['domain', apex],
      ['host', hostUnder(fqdn, apex)],
    ];
    for (const name of template.variables) pairs.push([name, variableValue(deps.templateVariables, name)]);
    const groups = await groupsToApply(template, fqdn);
    if (groups !== null) pairs.push(['groupId', groups.join(',')]);
    return pairs;
  };

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
      const pairs = await applyQuery(template, found.apex, request.domain);
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
  };
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
 * DC-spec §4.2.2: the redirect_uri "must be scoped to the syncRedirectDomain from the template". Accepted: an http(s)
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
  };
}
