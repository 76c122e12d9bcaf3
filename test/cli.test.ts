/**
 * The CLI end to end: each case spawns the real command (`npx tsx src/cli.ts …`, and once the `bin/` launcher)
 * against a SQLite file in a temporary directory, then checks its output, exit code and the database.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyApiKey } from '../src/auth/api-keys.js';
import { openStore } from '../src/storage/open.js';

const ROOT = path.resolve(import.meta.dirname, '..');
/** Spawning tsx costs seconds on a busy machine. */
const SLOW = 90_000;

let dir: string;
let databaseUrl: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dg-cli-'));
  databaseUrl = `sqlite:${path.join(dir, 'x.db')}`;
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], options: { input?: string; env?: Record<string, string>; command?: string[] } = {}): Promise<Run> {
  const [command, ...prefix] = options.command ?? ['npx', 'tsx', 'src/cli.ts'];
  const child = spawn(command!, [...prefix, ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const withStore = async <T>(action: (store: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> => {
  const store = await openStore(databaseUrl);
  try {
    return await action(store);
  } finally {
    await store.close();
  }
};

describe('dns-gateway CLI', () => {
  it(
    'creates a user from the first line of stdin, and refuses an empty password',
    async () => {
      const created = await run(['users', 'create', '--username', 'Alice', '--permission', 'User.Update', '--permission', 'Dns.Read'], {
        input: 'pa ss word\nsecond line ignored\n',
      });
      expect(created.stderr).toContain('Created user "Alice"');
      expect(created.code).toBe(0);
      const user = await withStore((store) => store.findUserByUsername('alice'));
      expect(user).toMatchObject({ id: created.stdout.trim(), username: 'Alice', permissions: ['User.Update', 'Dns.Read'] });

      const empty = await run(['users', 'create', '--username', 'bob'], { input: '\n' });
      expect(empty.code).toBe(1);
      expect(empty.stderr).toMatch(/empty password/);
      expect(empty.stderr).not.toMatch(/\n\s+at /);
      expect(await withStore((store) => store.findUserByUsername('bob'))).toBeNull();

      const taken = await run(['users', 'create', '--username', 'ALICE'], { input: 'x\n' });
      expect(taken.code).toBe(1);
      expect(taken.stderr).toMatch(/already taken/);
    },
    SLOW,
  );

  it(
    'creates keys (JSON and plain), lists them without secrets, and revokes one',
    async () => {
      const json = await run(['keys', 'create', '--name', 'ci', '--user', 'alice', '--json']);
      expect(json.code).toBe(0);
      const created = JSON.parse(json.stdout) as Record<string, unknown>;
      expect(Object.keys(created).sort()).toEqual(['id', 'key', 'name', 'permissions', 'userId']);
      expect(created).toMatchObject({ name: 'ci', permissions: ['User.Update'] });
      const alice = await withStore((store) => store.findUserByUsername('alice'));
      expect(created.userId).toBe(alice!.id);
      const key = created.key as string;
      expect(await withStore((store) => verifyApiKey(store, key))).toMatchObject({ id: created.id });

      // The launcher that `npx dns-gateway` runs.
      const plain = await run(['keys', 'create', '--name', 'deploy', '--permission', 'Dns.Read'], { command: ['node', 'bin/dns-gateway.js'] });
      expect(plain.code).toBe(0);
      expect(plain.stderr).toMatch(/Save this key now, it will not be shown again/);
      const plainKey = plain.stdout.trim();
      expect(plainKey).toMatch(/^dgk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);

      const table = await run(['keys', 'list']);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^ID\s+NAME\s+USER\s+PERMISSIONS/);
      expect(table.stdout).toContain(created.id as string);
      expect(table.stdout).toMatch(/ci\s+Alice\s+User\.Update/);
      const listedJson = await run(['keys', 'list', '--json']);
      const listed = JSON.parse(listedJson.stdout) as { id: string; revokedAt: string | null }[];
      expect(listed.map((k) => k.id)).toEqual([created.id, plainKey.slice(4, 20)]);
      for (const output of [table.stdout, listedJson.stdout]) {
        expect(output).not.toContain(key);
        expect(output).not.toContain(key.slice(21));
        expect(output).not.toContain(plainKey.slice(21));
        expect(output).not.toMatch(/[0-9a-f]{64}/); // no hash either
      }

      const revoked = await run(['keys', 'revoke', created.id as string]);
      expect(revoked.code).toBe(0);
      expect(await withStore((store) => verifyApiKey(store, key))).toBeNull();
      expect(await withStore((store) => verifyApiKey(store, plainKey))).not.toBeNull();
      const after = JSON.parse((await run(['keys', 'list', '--json'])).stdout) as { id: string; revokedAt: string | null }[];
      const revokedKey = after.find((k) => k.id === created.id);
      expect(revokedKey).toBeDefined();
      // A timestamp of the revocation, as the store keeps it (ISO-8601 UTC): not merely "not null" (undefined passed).
      expect(revokedKey!.revokedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(after.find((k) => k.id === plainKey.slice(4, 20))?.revokedAt).toBeNull();

      const unknown = await run(['keys', 'revoke', 'ffffffffffffffff']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/no API key with id/);
    },
    SLOW,
  );

  it(
    'answers usage mistakes with exit 2 and the usage text, without a stack trace',
    async () => {
      for (const args of [[], ['frobnicate'], ['keys'], ['keys', 'create'], ['keys', 'create', '--name', 'x', '--bogus'], ['keys', 'revoke'], ['users', 'create']]) {
        const result = await run(args);
        expect(result.code, args.join(' ')).toBe(2);
        expect(result.stderr).toContain('Usage: dns-gateway');
        expect(result.stderr).not.toMatch(/\n\s+at /);
        expect(result.stdout).toBe('');
      }
    },
    SLOW * 2,
  );

  it(
    'reports configuration problems with exit 1 and a clear message',
    async () => {
      const postgres = await run(['keys', 'list'], { env: { DATABASE_URL: 'postgres://u:hunter2@db/gw' } });
      expect(postgres.code).toBe(1);
      expect(postgres.stderr).toMatch(/^dns-gateway: DATABASE_URL: cannot connect to PostgreSQL/m);
      expect(postgres.stderr).not.toContain('hunter2');
      const badConfig = await run(['keys', 'list'], { env: { SESSION_IDLE_MINUTES: 'soon' } });
      expect(badConfig.code).toBe(1);
      expect(badConfig.stderr).toMatch(/SESSION_IDLE_MINUTES/);
    },
    SLOW,
  );

  it(
    'serves, prints the first-start admin key once, and stops cleanly on SIGTERM',
    async () => {
      const fresh = `sqlite:${path.join(dir, 'serve.db')}`;
      const child = spawn('node', ['--import', 'tsx', 'src/cli.ts', 'serve'], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: fresh, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          if (stdout.includes('\n')) resolve();
        });
        void exited.then(() => reject(new Error(`serve exited early: ${stderr}`)));
      });
      expect(stderr).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
      expect(stderr).toMatch(/save this key now, it will not be shown again/i);
      const key = stdout.trim();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const store = await openStore(fresh);
      try {
        expect(await verifyApiKey(store, key)).toMatchObject({ name: 'admin', permissions: ['User.Update'] });
      } finally {
        await store.close();
      }
    },
    SLOW,
  );
});
