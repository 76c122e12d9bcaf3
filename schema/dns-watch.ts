/**
 * Watches: `watchDnsRecords` starts one (REST dns.watch), `dnsWatches` lists the caller's (REST dns.watches), and the
 * `dnsStatusChanged` subscription follows one live over Server-Sent Events (no REST counterpart). The watch is
 * `DnsWatch`; its last check is `DnsWatchCheck`.
 */
import { GraphQLError } from 'graphql';
import { builder } from './builder.js';
import { resultUnion } from './dns-error.js';
import { DnsRecordState } from './dns-status.js';
import { DnsRecordType } from './set-dns-records.js';
import { runForGraphql, type DnsErrorShape } from '../src/graphql/context.js';
import { dnsWatch, dnsWatches, dnsWatchFeed } from '../src/procedures/dns-watch.js';
import type { WatchCheckResult, WatchRecordResult, WatchView } from '../src/services/watches.js';

const DnsWatchState = builder.enumType('DnsWatchState', {
  description: 'Where a watch stands.',
  values: {
    PENDING: { description: 'Checked with backoff (15 s, 30 s, 1 min, … 30 min) until the record set is ready, or the watch expires.' },
    READY: { description: 'Every record LIVE and every check passing; checked again every VERIFY_RECHECK_HOURS.' },
    BROKEN: { description: 'Was READY, then a check found a record missing or changed; checked with backoff until ready again, or the watch expires.' },
    EXPIRED: { description: 'Not ready within VERIFY_WATCH_HOURS: no longer checked until restarted (watchDnsRecords, or an applied setDnsRecords).' },
  } as const,
});

const DnsWatchRecord = builder.objectRef<WatchRecordResult>('DnsWatchRecord').implement({
  description: 'One record of a check.',
  fields: (t) => ({
    type: t.exposeString('type'),
    name: t.exposeString('name'),
    expected: t.exposeString('expected'),
    status: t.field({ type: DnsRecordState, resolve: (r) => r.status }),
  }),
});

type WatchChecks = NonNullable<WatchCheckResult['checks']>;
const DnsWatchChecks = builder.objectRef<WatchChecks>('DnsWatchChecks').implement({
  description: 'Whether each check of dnsStatus passed.',
  fields: (t) => ({
    nameservers: t.exposeBoolean('nameservers'),
    spf: t.exposeBoolean('spf'),
    dmarc: t.exposeBoolean('dmarc'),
    dkim: t.exposeBoolean('dkim'),
  }),
});

const DnsWatchCheck = builder.objectRef<WatchCheckResult>('DnsWatchCheck').implement({
  description: "A watch's check in brief (dnsStatus has the whole detail).",
  fields: (t) => ({
    checkedAt: t.exposeString('checkedAt', { description: 'ISO-8601 UTC.' }),
    ready: t.exposeBoolean('ready'),
    error: t.exposeString('error', { nullable: true, description: 'Why the check could not be made (e.g. no name server answered); null when it was.' }),
    records: t.field({ type: [DnsWatchRecord], resolve: (c) => [...c.records] }),
    checks: t.field({ type: DnsWatchChecks, nullable: true, resolve: (c) => c.checks }),
    problems: t.stringList({ description: 'One sentence per failing check.', resolve: (c) => [...c.problems] }),
  }),
});

export const DnsWatch = builder.objectRef<WatchView>('DnsWatch').implement({
  description: "The caller's watch of a record set on a domain: re-verified on the authoritative name servers until ready, then now and then.",
  fields: (t) => ({
    id: t.exposeID('id'),
    domain: t.exposeString('domain'),
    recordType: t.field({ type: DnsRecordType, resolve: (w) => w.recordType }),
    state: t.field({ type: DnsWatchState, resolve: (w) => w.state }),
    version: t.exposeInt('version', { description: 'Raised by every state change and restart.' }),
    createdAt: t.exposeString('createdAt', { description: 'ISO-8601 UTC.' }),
    stateChangedAt: t.exposeString('stateChangedAt'),
    expiresAt: t.exposeString('expiresAt', { nullable: true, description: 'When a PENDING or BROKEN watch expires.' }),
    nextCheckAt: t.exposeString('nextCheckAt', { nullable: true, description: 'Null when no further check is scheduled.' }),
    lastCheckedAt: t.exposeString('lastCheckedAt', { nullable: true }),
    checkCount: t.exposeInt('checkCount', { description: 'Checks made since the watch entered its state.' }),
    lastResult: t.field({ type: DnsWatchCheck, nullable: true, resolve: (w) => w.lastResult }),
  }),
});

const WatchDnsRecordsResult = resultUnion('WatchDnsRecordsResult', DnsWatch);
const DnsStatusChangedResult = resultUnion('DnsStatusChangedResult', DnsWatch);

builder.mutationField('watchDnsRecords', (t) =>
  t.field({
    type: WatchDnsRecordsResult,
    description:
      'Starts (or restarts) your watch of the record set on the domain, for records added by hand or through another path; its first check is made at once (REST: dns.watch). An applied setDnsRecords starts one too.',
    args: { domain: t.arg.string({ required: true }), recordType: t.arg({ type: DnsRecordType, required: true }) },
    resolve: async (_root, args, ctx) => {
      const result = await runForGraphql(ctx, dnsWatch, { domain: args.domain, recordType: args.recordType });
      return '__typename' in result ? result : result.watch;
    },
  }),
);

builder.queryField('dnsWatches', (t) =>
  t.field({
    type: [DnsWatch],
    description: 'Your watches (of one domain, when given), each with its last result and next check (REST: dns.watches).',
    args: { domain: t.arg.string({ required: false }) },
    resolve: async (_root, args, ctx) => {
      const result = await runForGraphql(ctx, dnsWatches, { domain: args.domain ?? undefined });
      // A list has no room for a DnsError member: an invalid domain is a GraphQL error carrying the REST code.
      if ('__typename' in result) throw new GraphQLError(result.message, { extensions: { code: 'DNS_ERROR', restCode: result.code } });
      return result.watches;
    },
  }),
);

/** One value, then the end: how an expected failure (a DnsError) is answered on a stream. */
async function* once(value: DnsErrorShape): AsyncGenerator<DnsErrorShape> {
  yield value;
}

builder.subscriptionField('dnsStatusChanged', (t) =>
  t.field({
    type: DnsStatusChangedResult,
    description:
      'Your watch of the record set on the domain, as it is now and then at each state change, over Server-Sent Events; completes after READY or EXPIRED. DnsError code 13 when you have no such watch (start one with watchDnsRecords).',
    args: { domain: t.arg.string({ required: true }), recordType: t.arg({ type: DnsRecordType, required: true }) },
    subscribe: async (_root, args, ctx): Promise<AsyncIterable<WatchView | DnsErrorShape>> => {
      const result = await runForGraphql(ctx, dnsWatchFeed, { domain: args.domain, recordType: args.recordType });
      return '__typename' in result && result.__typename === 'DnsError' ? once(result) : (result as AsyncIterable<WatchView>);
    },
    resolve: (value) => value,
  }),
);
