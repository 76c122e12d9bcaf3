import { builder } from './builder.js';
import { resultUnion } from './dns-error.js';
import { DnsRecordType } from './set-dns-records.js';
import { runForGraphql } from '../src/graphql/context.js';
import { dnsVerify } from '../src/procedures/dns-verify.js';
import type { RecordVerification, ServerView, Verification, VerificationChecks } from '../src/services/verify-service.js';

export const DnsRecordState = builder.enumType('DnsRecordState', {
  description:
    'LIVE: every authoritative server answers the expected content. PROPAGATING: some do. MISSING: none do. WRONG: the name answers something else.',
  values: ['LIVE', 'PROPAGATING', 'MISSING', 'WRONG'] as const,
});

const DnsServerAnswer = builder.objectRef<ServerView>('DnsServerAnswer').implement({
  description: "One name server's answer for one expected record.",
  fields: (t) => ({
    server: t.exposeString('server', { description: 'The NS host name, or `recursive` for the configured resolvers.' }),
    address: t.exposeString('address'),
    result: t.exposeString('result', { description: '`match`, `missing`, `other` or `error`.' }),
    answers: t.stringList({ resolve: (v) => [...v.answers] }),
    error: t.exposeString('error', { nullable: true }),
  }),
});

const DnsRecordStatus = builder.objectRef<RecordVerification>('DnsRecordStatus').implement({
  fields: (t) => ({
    type: t.exposeString('type'),
    name: t.exposeString('name'),
    expected: t.exposeString('expected', { description: 'What dns.set writes (for the SPF, the rules it merges).' }),
    status: t.field({ type: DnsRecordState, resolve: (r) => r.status }),
    servers: t.field({ type: [DnsServerAnswer], resolve: (r) => [...r.servers], description: 'Each authoritative server.' }),
    recursive: t.field({ type: DnsServerAnswer, resolve: (r) => r.recursive, description: 'The recursive resolvers, beside (never instead of) the servers.' }),
  }),
});

type NameserverStatus = VerificationChecks['nameservers']['servers'][number];
const DnsNameserverStatus = builder.objectRef<NameserverStatus>('DnsNameserverStatus').implement({
  fields: (t) => ({
    host: t.exposeString('host'),
    address: t.exposeString('address'),
    ok: t.exposeBoolean('ok'),
    error: t.exposeString('error', { nullable: true }),
  }),
});

const DnsNameserversCheck = builder.objectRef<VerificationChecks['nameservers']>('DnsNameserversCheck').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok', { description: 'Every authoritative server answered.' }),
    servers: t.field({ type: [DnsNameserverStatus], resolve: (c) => [...c.servers] }),
  }),
});

const DnsSpfCheck = builder.objectRef<VerificationChecks['spf']>('DnsSpfCheck').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    records: t.exposeInt('records', { description: 'SPF records at the apex (more than one is a permanent error).' }),
    record: t.exposeString('record', { nullable: true }),
    include: t.exposeBoolean('include', { nullable: true, description: "Whether the platform's SPF rules are in it; null when none are configured." }),
    lookups: t.exposeInt('lookups', { nullable: true, description: 'DNS-querying terms (RFC 7208 §4.6.4: at most 10).' }),
    voidLookups: t.exposeInt('voidLookups', { nullable: true, description: 'Lookups that found nothing (at most 2).' }),
    problem: t.exposeString('problem', { nullable: true }),
  }),
});

const DnsDmarcCheck = builder.objectRef<VerificationChecks['dmarc']>('DnsDmarcCheck').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    record: t.exposeString('record', { nullable: true }),
    policy: t.exposeString('policy', { nullable: true, description: '`none`, `quarantine` or `reject`.' }),
    problem: t.exposeString('problem', { nullable: true }),
  }),
});

type DkimCheck = VerificationChecks['dkim'][number];
const DnsDkimCheck = builder.objectRef<DkimCheck>('DnsDkimCheck').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    target: t.exposeString('target', { description: 'The CNAME target holding the key.' }),
    ok: t.exposeBoolean('ok'),
    bits: t.exposeInt('bits', { nullable: true, description: 'RSA key size; under 1024 fails.' }),
    problem: t.exposeString('problem', { nullable: true }),
  }),
});

const DnsChecks = builder.objectRef<VerificationChecks>('DnsChecks').implement({
  fields: (t) => ({
    nameservers: t.field({ type: DnsNameserversCheck, resolve: (c) => c.nameservers }),
    spf: t.field({ type: DnsSpfCheck, resolve: (c) => c.spf }),
    dmarc: t.field({ type: DnsDmarcCheck, resolve: (c) => c.dmarc }),
    dkim: t.field({ type: [DnsDkimCheck], resolve: (c) => [...c.dkim] }),
  }),
});

export const DnsStatus = builder.objectRef<Verification>('DnsStatus').implement({
  description: 'Whether a record set is live on every authoritative name server of a domain, and its mail records are right.',
  isTypeOf: (value) => typeof (value as { ready?: unknown }).ready === 'boolean',
  fields: (t) => ({
    domain: t.exposeString('domain'),
    recordType: t.field({ type: DnsRecordType, resolve: (v) => v.recordType }),
    ready: t.exposeBoolean('ready', { description: 'True only when every record is LIVE and every check passes.' }),
    records: t.field({ type: [DnsRecordStatus], resolve: (v) => [...v.records] }),
    checks: t.field({ type: DnsChecks, resolve: (v) => v.checks }),
    checkedAt: t.exposeString('checkedAt', { description: 'ISO-8601 UTC.' }),
  }),
});

const DnsStatusResult = resultUnion('DnsStatusResult', DnsStatus);

builder.queryField('dnsStatus', (t) =>
  t.field({
    type: DnsStatusResult,
    description: "Checks the record set on the domain's authoritative name servers (REST: dns.verify).",
    args: { domain: t.arg.string({ required: true }), recordType: t.arg({ type: DnsRecordType, required: true }) },
    resolve: (_root, args, ctx) => runForGraphql(ctx, dnsVerify, { domain: args.domain, recordType: args.recordType }),
  }),
);
