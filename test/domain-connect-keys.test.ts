/**
 * The Domain Connect signing key: `dns-gateway domain-connect keygen` (spawned for real) writes a key pair and prints
 * the TXT records in the spec's format ("Digitally Sign Requests": `p=N,a=RS256,d=<base64 DER>`, one string each);
 * the records, joined in `p` order, are the public key of the written private key. Start-up refuses a key that is
 * not a valid RSA private key, naming the variable and never showing the key.
 */
import { spawn } from 'node:child_process';
import { createPublicKey, createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SLOW = 90_000;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dg-dc-keys-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('npx', ['tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('domain-connect keygen', () => {
  it('writes a 2048-bit key pair (private key mode 600) and prints the TXT records that publish its public key', async () => {
    const out = path.join(dir, 'dc.pem');
    const res = await run(['domain-connect', 'keygen', '--out', out], { DOMAIN_CONNECT_PROVIDER_ID: 'mail-platform.net', DOMAIN_CONNECT_KEY_HOST: '_dck7' });
    expect(res.code, res.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const pem = readFileSync(out, 'utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(res.stdout).not.toContain('PRIVATE KEY');
    expect(res.stderr).not.toContain(pem.split('\n')[1]!);

    const lines = res.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const segments = lines.map((line) => {
      const m = /^_dck7\.mail-platform\.net\. 3600 IN TXT "(p=(\d+),a=RS256,d=([A-Za-z0-9+/=]+))"$/.exec(line);
      expect(m, line).not.toBeNull();
      // One character-string per record: DNS providers read only the first (≤ 255 bytes).
      expect(Buffer.byteLength(m![1]!)).toBeLessThanOrEqual(255);
      return [Number(m![2]), m![3]!] as const;
    });
    expect(segments.map(([p]) => p)).toEqual(segments.map((_, i) => i + 1));
    const publicKey = createPublicKey({ key: Buffer.from(segments.map(([, d]) => d).join(''), 'base64'), format: 'der', type: 'spki' });
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    // The records are the public half of the written private key.
    const signature = createSign('RSA-SHA256').update('domain=example.com&host=').sign(pem, 'base64');
    expect(createVerify('RSA-SHA256').update('domain=example.com&host=').verify(publicKey, signature, 'base64')).toBe(true);
    expect(readFileSync(`${out}.pub`, 'utf8')).toBe(publicKey.export({ type: 'spki', format: 'pem' }).toString());

    // Never over an existing key without --force.
    const again = await run(['domain-connect', 'keygen', '--out', out, '--domain', 'keys.example.net']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists already');
    expect(readFileSync(out, 'utf8')).toBe(pem);

    // The file is what DOMAIN_CONNECT_PRIVATE_KEY_FILE takes.
    const config = loadConfig({ DOMAIN_CONNECT_PROVIDER_ID: 'mail-platform.net', DOMAIN_CONNECT_PRIVATE_KEY_FILE: out });
    expect(config.domainConnect.enabled).toBe(true);
    expect(config.domainConnect.syncPubKeyDomain).toBe('mail-platform.net');
  }, SLOW);

  it('needs a domain to publish under', async () => {
    const res = await run(['domain-connect', 'keygen', '--out', path.join(dir, 'x.pem')], { DOMAIN_CONNECT_PROVIDER_ID: '', DOMAIN_CONNECT_SYNC_PUBKEY_DOMAIN: '' });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--domain is required');
  }, SLOW);
});

describe('start-up and the signing key', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const good = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cases: [string, string, RegExp][] = [
    ['not a key', '-----BEGIN PRIVATE KEY-----\nTm90IGEga2V5IGF0IGFsbCBzZWNyZXQ=\n-----END PRIVATE KEY-----\n', /not a valid RSA private key \(expected an unencrypted PEM private key\)/],
    ['an EC key', ec, /not a valid RSA private key \(it is ec key/],
    ['a 1024-bit RSA key', small, /not a valid RSA private key for signing: 1024 bits, at least 2048 are required/],
  ];
  for (const [label, pem, reason] of cases) {
    it(`refuses ${label}, naming the variable and never the key`, () => {
      let error: unknown;
      try {
        loadConfig({ DOMAIN_CONNECT_PROVIDER_ID: 'mail-platform.net', DOMAIN_CONNECT_PRIVATE_KEY: pem });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toMatch(new RegExp(`DOMAIN_CONNECT_PRIVATE_KEY: ${reason.source}`));
      for (const line of pem.split('\n').filter((l) => l.length > 20)) expect(message).not.toContain(line);
    });
  }

  it('refuses a bad key file the same way; a pasted key with \\n escapes works; half a configuration leaves it off', () => {
    const file = path.join(dir, 'bad.pem');
    writeFileSync(file, 'garbage');
    expect(() => loadConfig({ DOMAIN_CONNECT_PROVIDER_ID: 'mail-platform.net', DOMAIN_CONNECT_PRIVATE_KEY_FILE: file })).toThrow(/DOMAIN_CONNECT_PRIVATE_KEY_FILE: not a valid RSA private key/);
    expect(loadConfig({ DOMAIN_CONNECT_PROVIDER_ID: 'mail-platform.net', DOMAIN_CONNECT_PRIVATE_KEY: good.replace(/\n/g, '\\n') }).domainConnect.enabled).toBe(true);
    const half = loadConfig({ DOMAIN_CONNECT_PROVIDER_ID: 'mail-platform.net' }).domainConnect;
    expect(half.enabled).toBe(false);
    expect(half.notice).toMatch(/no signing key/);
  });

  it('the server does not start with an invalid key: exit 1 and the variable named', async () => {
    const res = await run(['serve'], { DOMAIN_CONNECT_PROVIDER_ID: 'mail-platform.net', DOMAIN_CONNECT_PRIVATE_KEY: ec, PORT: '0', DATABASE_URL: 'sqlite::memory:' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('DOMAIN_CONNECT_PRIVATE_KEY: not a valid RSA private key');
    expect(res.stderr).not.toContain(ec.split('\n')[1]!);
  }, SLOW);
});
