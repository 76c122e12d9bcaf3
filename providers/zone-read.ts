/**
 * Reading a paginated record list whole. Where pages are offsets or a cursor, a record someone adds or deletes between
 * two page reads shifts the rest: one record shows twice, or not at all. The adapter's `read` walks every page and
 * says whether they add up (`complete`: the totals agree, no id repeats); one that does not is read once more, and a
 * second that does not is a provider failure the caller may retry. A plan made over part of the zone would be wrong.
 */
import { normaliseDomain } from '../src/domain.js';
import { ProviderError, type ProviderId, type Zone } from './types.js';

export async function readWholeList<T extends { readonly complete: boolean }>(provider: ProviderId, read: () => Promise<T>): Promise<T> {
  for (let tries = 0; tries < 2; tries++) {
    const result = await read();
    if (result.complete) return result;
  }
  throw new ProviderError(provider, 'unavailable', 'the record list changed while it was being read; try again');
}

/**
 * Finding the zone where a sub-domain may be a zone of its own and the records list answers 404 for a domain the
 * account does not hold (DigitalOcean, Vultr): each name below the registrable domain is looked up, longest first
 * (`lookup(name, true)` answers false for a name not held: one label up); the registrable domain itself costs no call.
 * The zone found for each domain, and the zones a lookup already proved, are kept for the command, so `authorize`
 * looks up only a zone the walk did not.
 */
export class DomainWalk {
  private readonly confirmed = new Set<string>();
  private readonly found = new Map<string, Zone>();

  constructor(
    private readonly provider: ProviderId,
    /** Looks `name` up; with `walking`, a name not held is an answer (false), else it is the provider's error. */
    private readonly lookup: (name: string, walking: boolean) => Promise<boolean>,
  ) {}

  async findZone(domain: string): Promise<Zone> {
    const parsed = normaliseDomain(domain);
    if (!parsed.ok) throw new ProviderError(this.provider, 'rejected', parsed.reason);
    const known = this.found.get(parsed.domain);
    if (known) return known;
    let name = parsed.domain;
    while (name !== parsed.registrable) {
      if (await this.lookup(name, true)) {
        this.confirmed.add(name);
        break;
      }
      name = name.slice(name.indexOf('.') + 1);
    }
    const zone = { name, id: name };
    this.found.set(parsed.domain, zone);
    return zone;
  }

  /** The zone of `domain`, proved readable by one lookup unless finding it already did. */
  async authorize(domain: string): Promise<Zone> {
    const zone = await this.findZone(domain);
    if (!this.confirmed.has(zone.name)) {
      await this.lookup(zone.name, false);
      this.confirmed.add(zone.name);
    }
    return zone;
  }
}
