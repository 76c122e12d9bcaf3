/**
 * Which DNS host a nameserver name belongs to, as data. Sources are in ../shared/reference/providers.md §4
 * (lexicon provider `get_nameservers`, jakejarvis/domainstack.io `lib/providers/rules/dns.ts`, dnscontrol, provider
 * docs). The NS of the zone decides which API can write it, not the registrar.
 */

export interface NameserverPattern {
  /** Stable lower-case id (`cloudflare`, `route53`, …). Supported ids equal the adapters' `ProviderId`s. */
  readonly id: string;
  /** Display name. */
  readonly name: string;
  /** Whether this service has an adapter that can write the zone. */
  readonly supported: boolean;
  /** Tested against a host name that is lower case with no trailing dot. Anchored at the end, on a label boundary. */
  readonly pattern: RegExp;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Matches a host that is, or ends in `.`, one of the given domains (`ns.cloudflare.com` but not `evilns.cloudflare.com.x`). */
function suffixes(...domains: string[]): RegExp {
  return new RegExp(`(?:^|\\.)(?:${domains.map(escape).join('|')})$`);
}

export const NAMESERVER_PATTERNS: readonly NameserverPattern[] = [
  // Supported (adapters exist).
  { id: 'cloudflare', name: 'Cloudflare', supported: true, pattern: suffixes('ns.cloudflare.com') },
  { id: 'godaddy', name: 'GoDaddy', supported: true, pattern: suffixes('domaincontrol.com') },
  // registrar-servers.com also serves FreeDNS zones the API cannot edit; the adapter reports that, not detection.
  { id: 'namecheap', name: 'Namecheap', supported: true, pattern: suffixes('registrar-servers.com', 'namecheaphosting.com') },
  { id: 'googlecloud', name: 'Google Cloud DNS', supported: true, pattern: /(?:^|\.)ns-cloud-[a-e]\d+\.googledomains\.com$/ },
  { id: 'azure', name: 'Azure DNS', supported: true, pattern: /(?:^|\.)azure-dns\.(?:com|net|org|info)$/ },
  { id: 'route53', name: 'Amazon Route 53', supported: true, pattern: /(?:^|\.)awsdns-\d+\.(?:com|net|org|co\.uk)$/ },
  { id: 'ionos', name: 'IONOS', supported: true, pattern: /(?:^|\.)ui-dns\.(?:com|org|de|biz)$/ },
  { id: 'gandi', name: 'Gandi', supported: true, pattern: suffixes('gandi.net') },
  { id: 'porkbun', name: 'Porkbun', supported: true, pattern: suffixes('porkbun.com') },
  { id: 'dnsimple', name: 'DNSimple', supported: true, pattern: suffixes('dnsimple.com', 'dnsimple-edge.net', 'dnsimple-edge.org') },
  // ns1–ns4.name.com, or ns1xyz.name.com as Name.com assigns them (dnscontrol `providers/namedotcom/nameservers.go`).
  { id: 'namecom', name: 'Name.com', supported: true, pattern: suffixes('name.com') },
  // ns1–ns3.digitalocean.com (dnscontrol `defaultNameServerNames`).
  { id: 'digitalocean', name: 'DigitalOcean', supported: true, pattern: suffixes('digitalocean.com') },
  // ns1.vultr.com, ns2.vultr.com (dnscontrol `providers/vultr` `defaultNS`).
  { id: 'vultr', name: 'Vultr', supported: true, pattern: suffixes('vultr.com') },
  { id: 'hetzner', name: 'Hetzner', supported: true, pattern: suffixes('ns.hetzner.com', 'hetzner.de') },
  { id: 'linode', name: 'Linode', supported: true, pattern: suffixes('linode.com') },
  { id: 'ovh', name: 'OVHcloud', supported: true, pattern: suffixes('ovh.net', 'anycast.me') },
  // ns1/ns2.dns-parking.com: Hostinger's DNS (hPanel zones).
  { id: 'hostinger', name: 'Hostinger', supported: true, pattern: suffixes('dns-parking.com') },

  // Recognised but not supported.
  { id: 'squarespace', name: 'Squarespace Domains', supported: false, pattern: suffixes('squarespacedns.com') },
  { id: 'wix', name: 'Wix', supported: false, pattern: suffixes('wixdns.net') },
  { id: 'vercel', name: 'Vercel', supported: false, pattern: suffixes('vercel-dns.com') },
  // Netlify DNS is served by NS1 (dns1.pXX.nsone.net): the two cannot be told apart by NS.
  { id: 'ns1', name: 'NS1 / Netlify DNS', supported: false, pattern: suffixes('nsone.net') },
  { id: 'bluehost', name: 'Bluehost', supported: false, pattern: suffixes('bluehost.com') },
  { id: 'akamai', name: 'Akamai Edge DNS', supported: false, pattern: suffixes('akam.net') },
  { id: 'dnsmadeeasy', name: 'DNS Made Easy', supported: false, pattern: suffixes('dnsmadeeasy.com', 'constellix.com', 'constellix.net') },
  { id: 'hurricane', name: 'Hurricane Electric', supported: false, pattern: suffixes('he.net') },
  { id: 'alibaba', name: 'Alibaba Cloud DNS', supported: false, pattern: suffixes('hichina.com', 'alidns.com') },
];

/** Lower case, trailing dot stripped: the only form patterns are tested against. */
export function normaliseHost(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '');
}

/** The first table entry whose pattern matches `host` (any case, with or without a trailing dot), if any. */
export function matchNameserver(host: string, table: readonly NameserverPattern[] = NAMESERVER_PATTERNS): NameserverPattern | undefined {
  const normalised = normaliseHost(host);
  return table.find((entry) => entry.pattern.test(normalised));
}
