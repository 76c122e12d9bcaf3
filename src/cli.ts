/**
 * The command line: `serve`, `users create`, `keys create|list|revoke`. Exit codes: 0 success, 1 runtime error
 * (a clear one-line message), 2 usage error (with the usage text). Secrets go to stdout only where asked for (a new
 * key), human messages to stderr, so `KEY=$(dns-gateway keys create --name ci)` captures just the key.
 */
import { realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { ApiKeyInputError, createApiKey, listApiKeys, revokeApiKey } from './auth/api-keys.js';
import { UserInputError, createUser } from './auth/auth-service.js';
import { ADMIN_PERMISSION, DEFAULT_PERMISSION } from './auth/types.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DatabaseUnavailableError, UnsupportedDatabaseError, openStore } from './storage/open.js';
import { StoreConflictError, type ApiKeyInfo, type Store } from './storage/store.js';
import { generateSigningKey } from './domain-connect/keys.js';

export const USAGE = `Usage: dns-gateway <command> [options]

Commands:
  serve                          Start the HTTP server (GraphQL and REST).
  users create --username U [--permission P]...
                                 Create a user. The password is read from the first line of standard input.
  keys create --name N [--user U] [--permission P]... [--json]
                                 Create an API key and print it once.
  keys list [--json]             List API keys (never the keys themselves).
  keys revoke ID                 Revoke an API key at once.
  domain-connect keygen [--out FILE] [--key-host H] [--domain D] [--force]
                                 Write a new 2048-bit RSA key pair for signing Domain Connect URLs (FILE, default
                                 domain-connect-key.pem, and FILE.pub) and print the TXT records to publish at
                                 H.D (defaults: DOMAIN_CONNECT_KEY_HOST or _dck1; DOMAIN_CONNECT_SYNC_PUBKEY_DOMAIN
                                 or DOMAIN_CONNECT_PROVIDER_ID).

Permissions default to ${DEFAULT_PERMISSION} (every command, on the caller's own account: a key made with --user
shares its user's account, a key made without is an account of its own). ${ADMIN_PERMISSION} also sees and reverts
every account's changes; it is granted only by name (--permission ${DEFAULT_PERMISSION} --permission ${ADMIN_PERMISSION}).
Configuration comes from the environment (DATABASE_URL, PORT, …).
`;

export interface CliIo {
  readonly stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Record<string, string | undefined>;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); `serve` waits on it. */
  readonly stopSignal?: () => Promise<string>;
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A runtime failure whose message is safe and useful to print as is. */
class CliError extends Error {
  override readonly name = 'CliError';
}

/** Runs one command and returns the exit code. Never throws. */
async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch([...argv], io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`dns-gateway: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    io.stderr.write(`dns-gateway: ${describeFailure(error)}\n`);
    return 1;
  }
}

function describeFailure(error: unknown): string {
  if (
    error instanceof CliError ||
    error instanceof ConfigError ||
    error instanceof UserInputError ||
    error instanceof ApiKeyInputError ||
    error instanceof UnsupportedDatabaseError ||
    error instanceof DatabaseUnavailableError ||
    error instanceof StoreConflictError
  ) {
    return error.message;
  }
  // Unexpected failures still get one line (no stack): the message of a library error, e.g. SQLITE_CANTOPEN.
  return `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === undefined) throw new UsageError('missing command');
  if (command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  switch (command) {
    case 'serve':
      return serve(parse(argv.slice(1), {}).values, io);
    case 'users':
      if (sub === 'create') return usersCreate(rest, io);
      throw new UsageError(sub === undefined ? 'missing users subcommand' : `unknown users subcommand "${sub}"`);
    case 'keys':
      if (sub === 'create') return keysCreate(rest, io);
      if (sub === 'list') return keysList(rest, io);
      if (sub === 'revoke') return keysRevoke(rest, io);
      throw new UsageError(sub === undefined ? 'missing keys subcommand' : `unknown keys subcommand "${sub}"`);
    case 'domain-connect':
      if (sub === 'keygen') return domainConnectKeygen(rest, io);
      throw new UsageError(sub === undefined ? 'missing domain-connect subcommand' : `unknown domain-connect subcommand "${sub}"`);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

function parse<O extends Options>(args: string[], options: O, positionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: positionals > 0 });
  } catch (error) {
    // parseArgs messages name the offending option and nothing else, so they make good usage errors.
    throw new UsageError(error instanceof Error ? error.message.split('\n')[0]! : 'invalid arguments');
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`);
  return parsed;
}

async function withStore<T>(io: CliIo, action: (store: Store, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env);
  const store = await openStore(config.DATABASE_URL);
  try {
    return await action(store, config);
  } finally {
    await store.close();
  }
}

async function serve(_values: unknown, io: CliIo): Promise<number> {
  const config = loadConfig(io.env);
  // Listen before starting: a signal that arrives during start-up (or right after the key is printed) must still
  // lead to a graceful stop, not the default kill.
  const stopped = (io.stopSignal ?? waitForStopSignal)();
  // Loaded on demand: the other commands must not pay for (or depend on) the whole server.
  const { startServer } = await import('./server.js');
  const server = await startServer(config);
  io.stderr.write(`dns-gateway listening on ${server.url}\n`);
  if (server.metricsUrl) io.stderr.write(`metrics on ${server.metricsUrl}\n`);
  if (server.initialApiKey !== null && config.PRINT_INITIAL_KEY) {
    io.stderr.write('\nAn admin API key was created for this new database. Save this key now, it will not be shown again:\n');
    io.stdout.write(`${server.initialApiKey}\n`);
    io.stderr.write('\n');
  }
  const signal = await stopped;
  io.stderr.write(`dns-gateway: ${signal} received, stopping\n`);
  await server.close();
  return 0;
}

/** First SIGINT/SIGTERM resolves (graceful stop); a second one while stopping exits at once. */
function waitForStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const force = () => process.exit(1);
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function usersCreate(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { username: { type: 'string' }, permission: { type: 'string', multiple: true } });
  if (values.username === undefined) throw new UsageError('--username is required');
  const username = values.username;
  const password = await readPassword(io);
  if (password === '') throw new CliError('refusing an empty password (give it as the first line of standard input)');
  return withStore(io, async (store) => {
    const user = await createUser(store, { username, password, permissions: values.permission });
    io.stderr.write(`Created user "${user.username}" (id ${user.id}, permissions ${user.permissions.join(', ')}).\n`);
    io.stdout.write(`${user.id}\n`);
    return 0;
  });
}

async function keysCreate(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    name: { type: 'string' },
    user: { type: 'string' },
    permission: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
  });
  if (values.name === undefined) throw new UsageError('--name is required');
  const name = values.name;
  return withStore(io, async (store) => {
    let userId: string | null = null;
    if (values.user !== undefined) {
      const user = await store.findUserByUsername(values.user);
      if (!user) throw new CliError(`no user named "${values.user}"`);
      userId = user.id;
    }
    const created = await createApiKey(store, { name, userId, permissions: values.permission });
    if (values.json) {
      const { id, key, permissions } = created;
      io.stdout.write(`${JSON.stringify({ id, name: created.name, key, permissions, userId: created.userId })}\n`);
    } else {
      io.stderr.write(`Created API key "${created.name}" (id ${created.id}, permissions ${created.permissions.join(', ')}).\n`);
      io.stderr.write('Save this key now, it will not be shown again:\n');
      io.stdout.write(`${created.key}\n`);
    }
    return 0;
  });
}

async function keysList(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean', default: false } });
  return withStore(io, async (store) => {
    const keys = await listApiKeys(store);
    io.stdout.write(values.json ? `${JSON.stringify(keys)}\n` : formatKeyTable(keys));
    return 0;
  });
}

async function keysRevoke(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parse(args, {}, 1);
  const id = positionals[0];
  if (id === undefined) throw new UsageError('keys revoke needs the key ID (see "keys list")');
  return withStore(io, async (store) => {
    if (!(await revokeApiKey(store, id))) throw new CliError(`no API key with id "${id}"`);
    io.stderr.write(`Revoked API key ${id}.\n`);
    return 0;
  });
}

const LABELS = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;

/**
 * `domain-connect keygen`: a new RSA key pair for signing synchronous apply URLs (DC-spec §4.2.6.3). The private key
 * goes to a file created with mode 600 (never to the terminal, never over an existing file unless --force); the TXT
 * records that publish the public key go to standard output in zone-file form, one `p=N,a=RS256,d=…` string each.
 */
async function domainConnectKeygen(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    out: { type: 'string' },
    'key-host': { type: 'string' },
    domain: { type: 'string' },
    force: { type: 'boolean', default: false },
  });
  const env = (name: string) => (io.env[name]?.trim() ? io.env[name]!.trim() : undefined);
  const keyHost = values['key-host'] ?? env('DOMAIN_CONNECT_KEY_HOST') ?? '_dck1';
  const domain = (values.domain ?? env('DOMAIN_CONNECT_SYNC_PUBKEY_DOMAIN') ?? env('DOMAIN_CONNECT_PROVIDER_ID'))?.replace(/\.$/, '');
  if (domain === undefined) throw new UsageError('--domain is required (or set DOMAIN_CONNECT_SYNC_PUBKEY_DOMAIN)');
  if (!LABELS.test(keyHost)) throw new UsageError(`--key-host "${keyHost}" is not a DNS label`);
  if (!LABELS.test(domain) || !domain.includes('.')) throw new UsageError(`--domain "${domain}" is not a domain name`);
  const out = values.out ?? 'domain-connect-key.pem';
  const key = generateSigningKey();
  const flag = values.force ? 'w' : 'wx';
  try {
    await writeFile(out, key.privateKeyPem, { mode: 0o600, flag });
    await writeFile(`${out}.pub`, key.publicKeyPem, { mode: 0o644, flag });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code === 'EEXIST' ? `${out} (or ${out}.pub) exists already: choose another --out, or --force to replace it` : `cannot write ${out}: ${code ?? 'unknown error'}`);
  }
  const name = `${keyHost}.${domain}.`;
  io.stderr.write(`Wrote the private key to ${out} (mode 600) and the public key to ${out}.pub.\n`);
  io.stderr.write(`Configure: DOMAIN_CONNECT_PRIVATE_KEY_FILE=${out} DOMAIN_CONNECT_KEY_HOST=${keyHost} DOMAIN_CONNECT_SYNC_PUBKEY_DOMAIN=${domain}\n`);
  io.stderr.write(`Publish these ${key.txtRecords.length} TXT records at ${name} (all of them, one string each):\n`);
  for (const record of key.txtRecords) io.stdout.write(`${name} 3600 IN TXT "${record}"\n`);
  return 0;
}

function formatKeyTable(keys: readonly ApiKeyInfo[]): string {
  if (keys.length === 0) return 'No API keys.\n';
  const header = ['ID', 'NAME', 'USER', 'PERMISSIONS', 'CREATED', 'LAST USED', 'STATUS'];
  const rows = keys.map((k) => [
    k.id,
    k.name,
    k.username ?? '-',
    k.permissions.join(','),
    k.createdAt,
    k.lastUsedAt ?? 'never',
    k.revokedAt === null ? 'active' : `revoked ${k.revokedAt}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[header, ...rows].map(line).join('\n')}\n`;
}

/**
 * The first line of standard input. On a terminal the typing is not echoed; from a pipe the line is read as is
 * (`printf '%s\n' "$PW" | dns-gateway users create --username U`).
 */
async function readPassword(io: CliIo): Promise<string> {
  if (io.stdin.isTTY && io.stdin.setRawMode) return readHiddenLine(io);
  let buffered = '';
  for await (const chunk of io.stdin) {
    buffered += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    const newline = buffered.indexOf('\n');
    if (newline !== -1) {
      io.stdin.destroy();
      return buffered.slice(0, newline).replace(/\r$/, '');
    }
  }
  return buffered.replace(/\r$/, '');
}

function readHiddenLine(io: CliIo): Promise<string> {
  const stdin = io.stdin;
  io.stderr.write('Password: ');
  stdin.setRawMode!(true);
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let line = '';
    const finish = (result: Error | string) => {
      stdin.setRawMode!(false);
      stdin.off('data', onData);
      stdin.pause();
      io.stderr.write('\n');
      if (typeof result === 'string') resolve(result);
      else reject(result);
    };
    const onData = (text: string) => {
      for (const char of text) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish(line);
        if (char === '\u0003') return finish(new CliError('cancelled'));
        if (char === '\u007f' || char === '\b') line = [...line].slice(0, -1).join('');
        else line += char;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** Entry point for `bin/dns-gateway.js` and `tsx src/cli.ts`. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await runCli(argv, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) await main();
