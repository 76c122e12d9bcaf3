/**
 * The command list: one table from command name to procedure. REST dispatches through it; GraphQL resolvers name
 * their procedure from it. A command not in this table does not exist (100003).
 */
import { dnsAuthorize } from './dns-authorize.js';
import { dnsChanges } from './dns-changes.js';
import { dnsConnect } from './dns-connect.js';
import { dnsProvider } from './dns-provider.js';
import { dnsRevert } from './dns-revert.js';
import { dnsSet } from './dns-set.js';
import { dnsVerify } from './dns-verify.js';
import { dnsWatch, dnsWatches } from './dns-watch.js';
import { userLogin } from './user-login.js';
import type { Procedure } from './procedure.js';

export const router = {
  'dns.provider': dnsProvider,
  'dns.authorize': dnsAuthorize,
  'dns.set': dnsSet,
  'dns.changes': dnsChanges,
  'dns.revert': dnsRevert,
  'dns.verify': dnsVerify,
  'dns.watch': dnsWatch,
  'dns.watches': dnsWatches,
  'dns.connect': dnsConnect,
  'user.login': userLogin,
} as const;

export type CommandName = keyof typeof router;

/** What a command's handler resolves to. */
export type CommandOutput<C extends CommandName> = (typeof router)[C] extends Procedure<any, infer Output> ? Output : never;

/** Command names are matched case-insensitively (`User.Login` and `user.login` are one command, as on the platform). */
const byLowerName = new Map<string, Procedure<any, any>>(Object.entries(router).map(([name, p]) => [name.toLowerCase(), p]));

export function findProcedure(command: string): Procedure<any, any> | undefined {
  return byLowerName.get(command.toLowerCase());
}
