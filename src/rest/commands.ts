/**
 * What each command answers on REST: its success body, built from the procedure's output (`payload`), and that body's
 * zod schema (`reply`), side by side so they cannot drift apart unnoticed. Reply objects are strict: the description
 * says no other field is sent, and the recorded-traffic test holds the gateway to that. The API description (src/rest/openapi.ts)
 * renders `reply`; test/openapi.test.ts holds recorded replies of every command to it.
 *
 * The table is keyed by the router's command names: a command added to the router without an entry here does not
 * compile.
 */
import { z } from 'zod';
import { RECORD_SETS } from '../procedures/dns-set.js';
import type { CommandName, CommandOutput } from '../procedures/router.js';
import type { PlannedAction } from '../records/planner.js';
import type { ChangeStatus } from '../storage/store.js';
import type { DmarcPolicy } from '../records/mail-checks.js';
import type { RecordStatus, ServerView } from '../services/verify-service.js';
import type { WatchState } from '../services/watches.js';
import type { ResponseBody } from './respond.js';

export interface RestCommand<Output> {
  /** A few words for the reference page's navigation. */
  readonly summary: string;
  /** What the command does, for the reference page (Markdown). */
  readonly description: string;
  /** The success body (`/api/v1`; on `/api.php` the legacy fields come first). */
  readonly reply: z.ZodObject;
  readonly payload: (output: Output, input: Readonly<Record<string, unknown>>) => ResponseBody;
}

/** Ties `payload`'s return type to `reply`: a payload that does not fit the schema's type does not compile. */
function restCommand<Output, Reply extends z.ZodObject>(command: {
  summary: string;
  description: string;
  reply: Reply;
  payload: (output: Output, input: Readonly<Record<string, unknown>>) => z.input<Reply>;
}): RestCommand<Output> {
  return command as RestCommand<Output>;
}

/** Every value of a string union, with a description each: a `Record` over the union, so none can be left out. */
function described<Value extends string>(values: Record<Value, string>, description: string) {
  const names = Object.keys(values) as [Value, ...Value[]];
  return z.enum(names).meta({ description: describe(values, description) });
}

const describe = <Value extends string>(values: Record<Value, string>, description: string) =>
  `${description} ${(Object.keys(values) as Value[]).map((n) => `\`${n}\`: ${values[n]}`).join(' ')}`;

/**
 * `z.array`, typed to accept the read-only arrays the services return (the JSON is the same). Not `.readonly()`:
 * that would mark every such property `readOnly` in the description.
 */
const list = <Item extends z.ZodType>(item: Item) => z.array(item) as unknown as z.ZodType<readonly z.output<Item>[], readonly z.input<Item>[]>;

const changeView = z
  .strictObject({
    action: described<PlannedAction>(
      {
        CREATE: 'the record is added.',
        UPDATE: 'the record is rewritten (an SPF record merged).',
        DELETE: 'the record is removed (only with `Force`).',
        KEEP: 'the zone already holds it.',
        CONFLICT: 'another record is in the way; nothing is written.',
      },
      'What happens to the record.',
    ),
    type: z.string().meta({ description: 'The record type: `CNAME`, `TXT`, …' }),
    name: z.string().meta({ description: 'The fully qualified record name.' }),
    content: z.string().meta({ description: 'CREATE/UPDATE/CONFLICT: the value wanted. KEEP: the value kept. DELETE: the value removed.' }),
    ttl: z.int(),
    previous: z.string().nullable().meta({ description: 'The value before (UPDATE, DELETE, CONFLICT); null for a CREATE.' }),
  })
  .meta({ description: 'One record of a plan, or one write of a journal entry.' });

const changeEntry = z
  .strictObject({
    id: z.string().meta({ description: 'What dns.revert takes as `ChangeID`.' }),
    domain: z.string(),
    provider: z.string(),
    recordType: z.string(),
    createdAt: z.string().meta({ description: 'ISO-8601 UTC.' }),
    status: described<ChangeStatus>(
      {
        pending: 'not completed (still running, or its process stopped mid-write): `changes` are the planned writes, any of which may have landed.',
        applied: 'every write landed.',
        partial: 'the command failed after some writes landed: `changes` are those.',
        failed: 'the command failed and the provider reported no write as landed.',
      },
      'Where the entry stands.',
    ),
    applied: z.boolean().meta({ description: 'True when writes reached the provider (`applied` or `partial`).' }),
    revertOf: z.string().nullable().meta({ description: 'The entry this one reverted; null for a dns.set.' }),
    changes: list(changeView),
    problem: z.string().optional().meta({ description: 'Only on an entry whose stored form cannot be read: why (its `changes` are then empty).' }),
  })
  .meta({ description: 'One entry of the change journal. Never holds a credential.' });

const serverView = z
  .strictObject({
    server: z.string().meta({ description: 'The NS host name, or `recursive` for the configured resolvers.' }),
    address: z.string().meta({ description: 'The address asked (empty for the recursive view).' }),
    result: described<ServerView['result']>(
      { match: 'the expected content.', missing: 'nothing there.', other: 'something else.', error: 'no answer.' },
      'What the server answered.',
    ),
    answers: list(z.string()),
    error: z.string().nullable(),
  })
  .meta({ description: "One name server's answer for one expected record." });

const recordStatus = (description: string) =>
  described<RecordStatus>(
    { LIVE: 'every authoritative server answers it.', PROPAGATING: 'some do.', MISSING: 'none do.', WRONG: 'the name answers something else.' },
    description,
  );

const recordVerification = z
  .strictObject({
    type: z.string(),
    name: z.string(),
    expected: z.string().meta({ description: 'What dns.set writes (for the SPF, the rules it merges).' }),
    status: recordStatus('The record across the authoritative servers.'),
    servers: list(serverView),
    recursive: serverView,
  })
  .meta({ description: 'One record of the set, as each authoritative server answers it.' });

const dmarcPolicy: Record<DmarcPolicy, string> = { none: 'monitor only.', quarantine: 'treat failures as suspicious.', reject: 'refuse failures.' };

const verificationChecks = z
  .strictObject({
    nameservers: z.strictObject({
      ok: z.boolean().meta({ description: 'Every authoritative server answered.' }),
      servers: list(z.strictObject({ host: z.string(), address: z.string(), ok: z.boolean(), error: z.string().nullable() })),
    }),
    spf: z.strictObject({
      ok: z.boolean(),
      records: z.int().meta({ description: 'SPF records at the apex (more than one is a permanent error).' }),
      record: z.string().nullable(),
      include: z.boolean().nullable().meta({ description: "Whether the platform's SPF rules are in it; null when none are configured." }),
      lookups: z.int().nullable().meta({ description: 'DNS-querying terms (RFC 7208 §4.6.4: at most 10); null when not established.' }),
      voidLookups: z.int().nullable().meta({ description: 'Void lookups (at most 2); null when not established.' }),
      problem: z.string().nullable(),
    }),
    dmarc: z.strictObject({
      ok: z.boolean(),
      record: z.string().nullable(),
      policy: described(dmarcPolicy, 'The policy (`p=`); null when there is none.').nullable(),
      problem: z.string().nullable(),
    }),
    dkim: list(z.strictObject({ name: z.string(), target: z.string(), ok: z.boolean(), bits: z.int().nullable(), problem: z.string().nullable() })),
  })
  .meta({ description: "The domain's SPF, DMARC and DKIM records checked." });

const watchView = z
  .strictObject({
    id: z.string(),
    domain: z.string(),
    recordType: z.enum(RECORD_SETS),
    state: described<WatchState>(
      {
        PENDING: 'checked with backoff (15 s, 30 s, 1 min, … 30 min) until the record set is ready, or the watch expires.',
        READY: 'every record LIVE and every check passing; checked again every VERIFY_RECHECK_HOURS.',
        BROKEN: 'was READY, then a check found a record missing or changed; checked with backoff until ready again, or the watch expires.',
        EXPIRED: 'not ready within VERIFY_WATCH_HOURS: no longer checked until restarted (dns.watch, or an applied dns.set).',
      },
      'Where the watch stands.',
    ),
    version: z.int().meta({ description: 'Raised by every state change and restart.' }),
    createdAt: z.string().meta({ description: 'ISO-8601 UTC.' }),
    stateChangedAt: z.string().meta({ description: 'ISO-8601 UTC.' }),
    expiresAt: z.string().nullable().meta({ description: 'When a PENDING or BROKEN watch expires; null for READY and EXPIRED.' }),
    nextCheckAt: z.string().nullable().meta({ description: 'When it is checked next; null when no check is scheduled.' }),
    lastCheckedAt: z.string().nullable(),
    checkCount: z.int().meta({ description: 'Checks made since the watch entered its state.' }),
    lastResult: z
      .strictObject({
        checkedAt: z.string().meta({ description: 'ISO-8601 UTC.' }),
        ready: z.boolean(),
        error: z.string().nullable().meta({ description: 'Why the check could not be made (e.g. no name server answered); null when it was.' }),
        records: list(z.strictObject({ type: z.string(), name: z.string(), expected: z.string(), status: recordStatus('The record across the authoritative servers.') })),
        checks: z
          .strictObject({ nameservers: z.boolean(), spf: z.boolean(), dmarc: z.boolean(), dkim: z.boolean() })
          .nullable()
          .meta({ description: 'Whether each check of dns.verify passed; null when the check could not be made.' }),
        problems: list(z.string()).meta({ description: 'One sentence per failing check.' }),
      })
      .nullable()
      .meta({ description: 'The last check in brief (dns.verify has the whole detail); null before the first.' }),
  })
  .meta({ description: "The caller's watch of a record set on a domain: re-verified on the authoritative name servers until ready, then now and then." });

const success = z.literal(true);

/** The shapes replies share, named once in the API description. */
export const REPLY_COMPONENTS: Readonly<Record<string, z.ZodType>> = {
  DnsRecordChange: changeView,
  DnsChange: changeEntry,
  DnsServerAnswer: serverView,
  DnsRecordStatus: recordVerification,
  DnsChecks: verificationChecks,
  DnsWatch: watchView,
};

export const REST_COMMANDS: { readonly [C in CommandName]: RestCommand<CommandOutput<C>> } = {
  'dns.provider': restCommand({
    summary: 'Detect the DNS provider',
    description:
      "Which DNS provider serves a domain, from its NS records (resolved through `DNS_RESOLVERS`, cached for their TTL). A subdomain is walked up to its registrable domain with the public suffix list (`mail.example.co.uk` → `example.co.uk`).",
    reply: z.strictObject({ provider: z.string().meta({ description: 'The provider id in lower case (`cloudflare`, `route53`, …), also for providers this service cannot manage.', examples: ['cloudflare'] }) }),
    payload: (output) => ({ provider: output.provider }),
  }),
  'dns.authorize': restCommand({
    summary: 'Check provider credentials',
    description: "Checks that the customer's provider credentials can manage the domain's zone. Writes nothing.",
    reply: z.strictObject({ success }),
    payload: () => ({ success: true as const }),
  }),
  'dns.set': restCommand({
    summary: 'Publish the record set',
    description:
      'Reads the zone, plans, and writes only what is missing, leaving every other record as it was. Any CONFLICT: nothing is written (code 9, naming the records) unless `Force`. A plain dns.set answers exactly `{"success":true}`; a dry run adds the plan (`changes`); either adds `warnings` only when the plan could not check something.',
    reply: z.strictObject({
      success,
      changes: list(changeView).optional().meta({ description: 'Only on a dry run: the plan.' }),
      warnings: list(z.string()).optional().meta({ description: 'What the plan could not check, one sentence each; only when there is something to say.' }),
    }),
    // A plain dns.set answers exactly {"success":true}; a dry run adds the plan. Warnings (what could not be
    // checked, e.g. an SPF lookup count) are added to either only when there are some.
    payload: (result, input) => {
      const dryRun = result.applied === false && input.dryRun !== undefined;
      const warnings = result.warnings.length > 0 ? { warnings: result.warnings } : {};
      return dryRun ? { success: true as const, changes: result.changes, ...warnings } : { success: true as const, ...warnings };
    },
  }),
  'dns.changes': restCommand({
    summary: "List a domain's changes",
    description:
      "The journal of the domain's changes made by your account (a user's keys and sessions share one; every account's with the Admin permission), newest first, whatever their status; an entry whose stored form cannot be read is listed with a `problem`.",
    reply: z.strictObject({ changes: list(changeEntry) }),
    payload: (output) => ({ changes: output.changes }),
  }),
  'dns.revert': restCommand({
    summary: 'Undo a change',
    description:
      "Restores exactly the records one journal entry touched, each as it was read. Refused (code 9, HTTP 409), with nothing written, if they were changed since, if the entry wrote nothing, or cannot be read. Another account's entry is answered as an unknown id (code 12), unless you have the Admin permission. Takes the provider credentials of the entry's provider.",
    reply: z.strictObject({ success }),
    // As dns.set: exactly {"success":true}; GraphQL's revertDnsChange also shows the restoring writes.
    payload: () => ({ success: true as const }),
  }),
  'dns.verify': restCommand({
    summary: 'Verify the published records',
    description:
      "Whether the record set dns.set writes is live on every authoritative name server of the domain (asked directly, never a cache), and whether its SPF, DMARC and DKIM records are right. DNS only: no provider credentials.",
    reply: z.strictObject({
      ready: z.boolean().meta({ description: 'True only when every record is LIVE and every check passes.' }),
      DNSVerificationResults: z
        .record(z.string(), z.tuple([z.string(), z.string(), z.boolean()]))
        .meta({ description: "The platform's own shape: record name → [type, expected content, live on every authoritative server]." }),
      records: list(recordVerification),
      checks: verificationChecks,
    }),
    // The platform's own verify shape first (`true` = live on every authoritative server), then the detail.
    payload: (v) => ({
      ready: v.ready,
      DNSVerificationResults: Object.fromEntries(v.records.map((r) => [r.name, [r.type, r.expected, r.status === 'LIVE'] as [string, string, boolean]])),
      records: v.records,
      checks: v.checks,
    }),
  }),
  'dns.watch': restCommand({
    summary: 'Watch the record set',
    description:
      'Starts (or restarts) your watch of the record set on the domain, for records added by hand or through another path; its first check is made at once. An applied dns.set starts one too. A watch is re-verified on the authoritative name servers until ready, then now and then to notice one that breaks; its state changes are sent as signed webhooks.',
    reply: z.strictObject({ watch: watchView }),
    payload: (output) => ({ watch: output.watch }),
  }),
  'dns.watches': restCommand({
    summary: 'List your watches',
    description: "Your account's watches (of one domain when `Domain` is given, else all of them), each with its last result and its next check.",
    reply: z.strictObject({ watches: list(watchView) }),
    payload: (output) => ({ watches: output.watches }),
  }),
  'dns.connect': restCommand({
    summary: 'Get a Domain Connect URL',
    description:
      "For a domain whose DNS provider supports Domain Connect: the URL that lets the customer apply the record set at their provider, without giving us a credential. The synchronous flow (default) answers a signed apply URL; `Flow=async` the OAuth consent URL, after which dns.set with `Provider=domainconnect` applies through the provider. Also starts a watch of the domain (see dns.watch). Code 11 when Domain Connect is not available for the domain.",
    reply: z.strictObject({
      url: z.string().meta({ description: 'Open it in a window of `width` × `height`: the provider asks the customer, then applies the records.' }),
      providerName: z.string(),
      providerDisplayName: z.string(),
      width: z.int().meta({ description: 'The consent window width the provider asks for (default 750).' }),
      height: z.int(),
    }),
    payload: (output) => ({ url: output.url, providerName: output.providerName, providerDisplayName: output.providerDisplayName, width: output.width, height: output.height }),
  }),
  'user.login': restCommand({
    summary: 'Log in',
    description:
      'Username and password → a session id, usable as the `SessionID` parameter or as the Bearer token until it expires after `SESSION_IDLE_MINUTES` of inactivity. Failed logins count towards the per-address throttle.',
    reply: z.strictObject({
      SessionID: z.string().meta({ description: 'Starts with `dgs_`.' }),
      UserInfo: z.strictObject({ UserID: z.string(), Username: z.string(), Permissions: list(z.string()) }),
    }),
    payload: (output) => ({ SessionID: output.SessionID, UserInfo: output.UserInfo }),
  }),
};
