/**
 * Domain Connect discovery (DC-spec "DNS Provider Discovery", "Query Supported Template"):
 * 1. the TXT record `_domainconnect.<registrable domain>` names the DNS provider's Domain Connect host (a host name,
 *    possibly followed by a path prefix: `api.cloudflare.com/client/v4/dns/domainconnect`);
 * 2. `GET https://<that host>/v2/<domain>/settings` answers the settings JSON (providerId, providerName,
 *    providerDisplayName, urlSyncUX, urlAsyncUX, urlAPI, width, height); 404 means the provider does not host the
 *    zone ("The DNS Provider must return a 404 if they do not contain the zone");
 * 3. `GET <urlAPI>/v2/domainTemplates/providers/<our providerId>/services/<serviceId>` per record set: 2xx means
 *    the template is onboarded, 404 that it is not.
 *
 * Everything the TXT record and the settings name is the domain owner's input: hosts are followed only through the
 * guarded client (./http.ts), bodies are bounded, the whole discovery has one deadline, and URLs handed to browsers
 * must be https (http only when the operator's settings URL pattern is http, i.e. a test). Results are remembered per
 * registrable domain for DOMAIN_CONNECT_CACHE_SECONDS, "not available" answers included, but never a transient
 * failure (a timeout, a DNS or network error, a 5xx), which the next call tries again.
 */
import { z } from 'zod';
import type { Dispatcher } from 'undici';
import { registrableDomain } from '../domain.js';
import { txtAnswer, type Resolver } from '../detection/resolver.js';
import { checkDestination, guardedRequest, GuardedHttpError, RefusedDestinationError } from './http.js';

/** Settings and template-probe bodies larger than this are refused: a settings object is a few hundred bytes. */
export const MAX_SETTINGS_BYTES = 64 * 1024;
/** DC-spec "DNS Provider Discovery": "Default value if not returned should be 750px". */
export const DEFAULT_WINDOW_SIZE = 750;

export interface ProviderSettings {
  readonly providerId: string;
  readonly providerName: string;
  readonly providerDisplayName: string;
  /** Absent: the provider does not offer the synchronous flow for this domain. No trailing slash. */
  readonly urlSyncUX: string | null;
  /** Absent: no asynchronous (OAuth) flow for this domain. */
  readonly urlAsyncUX: string | null;
  readonly urlAPI: string;
  readonly width: number;
  readonly height: number;
}

export type Discovery =
  | {
      readonly available: true;
      /** The registrable domain discovery ran on (DC-spec: "Discovery must work on the root domain (zone) only"). */
      readonly apex: string;
      readonly settings: ProviderSettings;
      /** serviceId → whether the provider answered 2xx to the template probe. */
      readonly templates: Readonly<Record<string, boolean>>;
      /**
       * serviceId → why its probe got no usable answer (refused, a timeout, a network error, a 5xx or 429): such a
       * template is not "not onboarded", it is unknown, and dns.connect says so instead.
       */
      readonly probeFailures: Readonly<Record<string, ProbeFailure>>;
    }
  | {
      readonly available: false;
      readonly apex: string;
      /** Why, in one clause ("no _domainconnect TXT record at …"). */
      readonly reason: string;
      /** True when the provider could not be reached (timeout, network, 5xx, a malformed answer): HTTP 502. */
      readonly unreachable: boolean;
    };

export interface ProbeFailure {
  readonly reason: string;
  /** As Discovery's: the provider could not be reached (HTTP 502), rather than refused by policy. */
  readonly unreachable: boolean;
}

export interface DiscoveryOptions {
  readonly resolver: Pick<Resolver, 'query'>;
  readonly dispatcher: Dispatcher;
  /** Our providerId, for the template probes. */
  readonly providerId: string;
  /** The serviceIds to probe (our record sets). */
  readonly serviceIds: readonly string[];
  /** DOMAIN_CONNECT_SETTINGS_URL: `{host}` and `{domain}` are substituted. */
  readonly settingsUrl: string;
  readonly allowPrivate: boolean;
  readonly timeoutMs: number;
  readonly cacheSeconds: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default 1000 */
  readonly maxCacheEntries?: number;
}

export interface DomainConnectDiscovery {
  /** `domain` already normalised; discovery runs on its registrable domain. */
  discover(domain: string): Promise<Discovery>;
}

/** A reason that quotes domain-owner text: bounded and JSON-quoted, so it cannot forge the rest of a message. */
const quote = (text: string) => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** `host[/path]`: a host name or an IP literal (refused later by policy, with a clear reason), then a path prefix. */
const TXT_TARGET = new RegExp(`^(?:(?:${HOST_LABEL}\\.)*${HOST_LABEL}\\.?|\\d{1,3}(?:\\.\\d{1,3}){3}|\\[[0-9A-Fa-f:.]+\\])(?::\\d{1,5})?(?:/[A-Za-z0-9._~/-]*)?$`);

const urlField = z.string().min(1).max(2048);
const settingsSchema = z.object({
  providerId: z.string().min(1).max(255),
  providerName: z.string().min(1).max(255),
  providerDisplayName: z.string().min(1).max(255).optional().catch(undefined),
  urlSyncUX: urlField.optional(),
  urlAsyncUX: urlField.optional(),
  urlAPI: urlField,
  width: z.number().int().min(1).max(10_000).optional().catch(undefined),
  height: z.number().int().min(1).max(10_000).optional().catch(undefined),
});

type Outcome = { discovery: Discovery; cacheable: boolean };

export function createDomainConnectDiscovery(options: DiscoveryOptions): DomainConnectDiscovery {
  const now = options.now ?? Date.now;
  const maxEntries = Math.max(1, options.maxCacheEntries ?? 1000);
  const cache = new Map<string, { discovery: Discovery; expiresAt: number }>();
  const inFlight = new Map<string, Promise<Discovery>>();
  // http is allowed for the settings and the URLs they name only when the operator's own pattern is http (tests).
  const allowHttp = options.settingsUrl.startsWith('http:');

  const unavailable = (apex: string, reason: string, cacheable: boolean, unreachable = false): Outcome => ({
    discovery: { available: false, apex, reason, unreachable },
    cacheable,
  });

  async function run(apex: string): Promise<Outcome> {
    const deadline = Date.now() + options.timeoutMs;
    const txtName = `_domainconnect.${apex}`;
    let values: string[];
    let timer: NodeJS.Timeout | undefined;
    try {
      // The resolver bounds each query itself (DNS_TIMEOUT_MS per server and attempt); the discovery deadline bounds
      // the whole lookup too.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), Math.max(0, deadline - Date.now()));
      });
      values = txtAnswer(await Promise.race([options.resolver.query(txtName, 'TXT'), timeout]), txtName).values;
    } catch {
      return unavailable(apex, `the DNS lookup of ${txtName} failed`, false, true);
    } finally {
      clearTimeout(timer);
    }
    const distinct = [...new Set(values.map((v) => v.trim()).filter((v) => v !== ''))];
    if (distinct.length === 0) return unavailable(apex, `no _domainconnect TXT record at ${txtName}`, true);
    if (distinct.length > 1) return unavailable(apex, `${txtName} holds ${distinct.length} different TXT records`, true);
    const target = distinct[0]!;
    if (!TXT_TARGET.test(target)) return unavailable(apex, `the _domainconnect TXT record ${quote(target)} is not a host name`, true);

    const settingsRaw = options.settingsUrl.replaceAll('{host}', target.replace(/\.(?=\/|$)/, '')).replaceAll('{domain}', apex);
    let settingsUrl: URL;
    try {
      settingsUrl = checkDestination(settingsRaw, { allowPrivate: options.allowPrivate, allowHttp, what: `the _domainconnect TXT record (${quote(target)})` });
    } catch (error) {
      if (error instanceof RefusedDestinationError) return unavailable(apex, error.message, true);
      throw error;
    }
    const settingsAt = `${settingsUrl.host}`;
    let reply;
    try {
      reply = await guardedRequest(options.dispatcher, settingsUrl, { method: 'GET', headers: { accept: 'application/json' }, deadline, maxBodyBytes: MAX_SETTINGS_BYTES });
    } catch (error) {
      if (error instanceof GuardedHttpError) {
        // A refused address is a fact about the record, remembered; the others may pass.
        return error.kind === 'refused'
          ? unavailable(apex, `the settings at ${settingsAt} were not requested: ${error.message}`, true)
          : unavailable(apex, `the settings at ${settingsAt} are unreachable: ${error.message}`, false, true);
      }
      throw error;
    }
    if (reply.status === 404) return unavailable(apex, `the DNS provider at ${settingsAt} answered 404 for ${apex} (it does not host the zone)`, true);
    if (reply.status < 200 || reply.status > 299) {
      return reply.status >= 500 || reply.status === 429
        ? unavailable(apex, `the settings at ${settingsAt} are unreachable: HTTP ${reply.status}`, false, true)
        : unavailable(apex, `the settings at ${settingsAt} answered HTTP ${reply.status}`, true);
    }
    const settings = parseSettings(reply.body);
    if (typeof settings === 'string') return unavailable(apex, `the settings at ${settingsAt} are unusable: ${settings}`, false, true);

    // URLs the settings name: the API is connected to (through the guard again at request time); the UX URLs are
    // only handed to browsers, but must still be https URLs without credentials.
    const urls: Partial<Record<'urlSyncUX' | 'urlAsyncUX' | 'urlAPI', string>> = {};
    for (const field of ['urlSyncUX', 'urlAsyncUX', 'urlAPI'] as const) {
      const value = settings[field];
      if (value === undefined) continue;
      try {
        urls[field] = checkDestination(value, { allowPrivate: options.allowPrivate, allowHttp, what: `the provider's ${field}` }).href.replace(/\/+$/, '');
      } catch (error) {
        if (!(error instanceof RefusedDestinationError)) throw error;
        return unavailable(apex, `the settings at ${settingsAt} are unusable: ${error.message}`, true);
      }
    }
    const provider: ProviderSettings = {
      providerId: settings.providerId,
      providerName: settings.providerName,
      providerDisplayName: settings.providerDisplayName ?? settings.providerName,
      urlSyncUX: urls.urlSyncUX ?? null,
      urlAsyncUX: urls.urlAsyncUX ?? null,
      urlAPI: urls.urlAPI!,
      width: settings.width ?? DEFAULT_WINDOW_SIZE,
      height: settings.height ?? DEFAULT_WINDOW_SIZE,
    };

    let cacheable = true;
    const probeFailures: Record<string, ProbeFailure> = {};
    const probes = await Promise.all(
      options.serviceIds.map(async (serviceId): Promise<[string, boolean]> => {
        const url = new URL(`${provider.urlAPI}/v2/domainTemplates/providers/${encodeURIComponent(options.providerId)}/services/${encodeURIComponent(serviceId)}`);
        const probeAt = `the template query at ${url.host}`;
        try {
          const probe = await guardedRequest(options.dispatcher, url, { method: 'GET', deadline, maxBodyBytes: MAX_SETTINGS_BYTES });
          if (probe.status >= 500 || probe.status === 429) {
            cacheable = false;
            probeFailures[serviceId] = { reason: `${probeAt} is unreachable: HTTP ${probe.status}`, unreachable: true };
          }
          return [serviceId, probe.status >= 200 && probe.status <= 299];
        } catch (error) {
          // An unanswered probe says nothing about the template: "not supported" for now, asked again next time.
          if (!(error instanceof GuardedHttpError)) throw error;
          if (error.kind !== 'refused') cacheable = false;
          probeFailures[serviceId] = error.kind === 'refused'
            ? { reason: `${probeAt} was not made: ${error.message}`, unreachable: false }
            : { reason: `${probeAt} is unreachable: ${error.message}`, unreachable: true };
          return [serviceId, false];
        }
      }),
    );
    return { discovery: { available: true, apex, settings: provider, templates: Object.fromEntries(probes), probeFailures }, cacheable };
  }

  return {
    discover(domain) {
      const apex = registrableDomain(domain) ?? domain;
      const hit = cache.get(apex);
      if (hit) {
        cache.delete(apex);
        if (hit.expiresAt > now()) {
          cache.set(apex, hit);
          return Promise.resolve(hit.discovery);
        }
      }
      const pending = inFlight.get(apex);
      if (pending) return pending;
      const started = run(apex)
        .then(({ discovery, cacheable }) => {
          if (cacheable && options.cacheSeconds > 0) {
            cache.set(apex, { discovery, expiresAt: now() + options.cacheSeconds * 1000 });
            while (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
          }
          return discovery;
        })
        .finally(() => inFlight.delete(apex));
      inFlight.set(apex, started);
      return started;
    },
  };
}

/** The settings JSON, or why it is unusable (an HTML page, a missing field). */
function parseSettings(body: Buffer): z.output<typeof settingsSchema> | string {
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return /^\s*</.test(text) ? 'an HTML page instead of JSON' : 'not JSON';
  }
  const parsed = settingsSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(body)'))];
    return `missing or invalid ${fields.join(', ')}`;
  }
  return parsed.data;
}
