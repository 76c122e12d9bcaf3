/**
 * Every example in the README runs as pasted. The README's `sh` blocks are run in order, in one bash, against a real
 * gateway (the first start's admin key in `$KEY`, `http://127.0.0.1:4000` pointed at the test's port, SQLite in a
 * file that the CLI examples share), and each command's output must match the `# …` lines written right under it,
 * `…` standing for any text. A comment line after a blank line is prose, not an expected output.
 *
 * The DNS is a loopback world in which `example.com` is delegated to name servers no provider pattern knows and that
 * hold none of our records: what a newcomer sees for IANA's `example.com` on a fresh clone.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthoritativeWorld, type AuthoritativeWorld } from './helpers/authoritative-world.js';
import { startGateway, type Gateway } from './helpers/gateway.js';

const run = promisify(execFile);
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const ROOT = new URL('..', import.meta.url).pathname;
/** The address every example uses. */
const README_URL = 'http://127.0.0.1:4000';
const METRICS_TOKEN = 'readme-example-metrics-token';

/**
 * Blocks that are not examples to run here, by their first line: they install, start the server or run the suite
 * (what this test stands in for), or list the CLI's synopsis. Each must still be in the README (checked below), so
 * that this list cannot silently outlive what it skips.
 */
const NOT_RUN = ['npm ci', 'npm test', 'dns-gateway serve'];

interface Example {
  readonly command: string;
  /** The output the README promises, `…` for any text; null when it promises none. */
  readonly expected: string | null;
}

function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** Splits a block into commands (with their `\` continuations) and the comment lines right under each. */
function examplesOf(block: string): Example[] {
  const lines = block.split('\n');
  const examples: Example[] = [];
  let i = 0;
  while (i < lines.length) {
    let line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      i++;
      continue;
    }
    let command = line;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = lines[++i]!;
      command += `\n${line}`;
    }
    i++;
    const expected: string[] = [];
    while (i < lines.length && lines[i]!.startsWith('#')) {
      const text = lines[i]!.replace(/^# ?/, '');
      // `#  "more"`: a long output wrapped in the README; it continues the line above.
      if (lines[i]!.startsWith('#  ') && expected.length > 0) expected[expected.length - 1] += text.trimStart();
      else expected.push(text);
      i++;
    }
    examples.push({ command, expected: expected.length > 0 ? expected.join('\n') : null });
  }
  return examples;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The README's expected output as a pattern: `…` is any text (on one line or across lines). */
const patternOf = (expected: string) => new RegExp(`^${expected.split('…').map(escapeRegExp).join('[\\s\\S]*?')}$`);

let world: AuthoritativeWorld;
let gateway: Gateway;
let dir: string;

beforeAll(async () => {
  world = await startAuthoritativeWorld();
  world.delegate('example.com');
  dir = mkdtempSync(join(tmpdir(), 'readme-examples-'));
  const { MAIL_SPF_INCLUDE: _notInTheDefaults, ...dnsEnv } = world.env;
  gateway = await startGateway({
    ...dnsEnv,
    DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}`,
    // What `npm start` runs with outside production.
    MAIL_MASTER_DOMAIN: 'sender.example.net',
    NODE_ENV: 'development',
    // The metrics example is run against a server started with a token, as the README says.
    METRICS_TOKEN,
  });
});

afterAll(async () => {
  await gateway?.close();
  await world?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('README examples', () => {
  const blocks = shellBlocks(README);

  it('skips only blocks that are still in the README', () => {
    for (const first of NOT_RUN) expect(blocks.some((b) => b.split('\n')[0]!.startsWith(first)), first).toBe(true);
  });

  it('runs every example as pasted, in order, each answering what the README shows under it', async () => {
    const examples = blocks
      .filter((b) => !NOT_RUN.some((first) => b.split('\n')[0]!.startsWith(first)))
      .flatMap(examplesOf)
      // `$KEY` is the first start's key here; the line setting it from the printed key is the reader's to paste.
      .filter((e) => !e.command.startsWith('export KEY='));
    expect(examples.length).toBeGreaterThan(30);
    const script = examples
      .map((e, n) => `{\n${e.command.replaceAll(README_URL, gateway.url)}\n} >"$OUT/${n}.out" 2>"$OUT/${n}.err"; echo $? >"$OUT/${n}.rc"`)
      .join('\n');
    await run('bash', ['-c', script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, KEY: gateway.adminKey, METRICS_TOKEN, OUT: dir, DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}`, LOG_LEVEL: 'silent' },
      timeout: 120_000,
    });
    const failures: string[] = [];
    examples.forEach((example, n) => {
      const rc = Number(readFileSync(join(dir, `${n}.rc`), 'utf8'));
      const output = readFileSync(join(dir, `${n}.out`), 'utf8').trimEnd();
      // curl's --max-time ends a stream the README opens on purpose (exit 28).
      const allowed = example.command.includes('--max-time') ? [0, 28] : [0];
      if (!allowed.includes(rc)) failures.push(`exit ${rc}: ${example.command}\n${readFileSync(join(dir, `${n}.err`), 'utf8')}`);
      else if (example.expected !== null && !patternOf(example.expected).test(output)) {
        failures.push(`${example.command}\n  README: ${example.expected}\n  actual: ${output}`);
      }
    });
    expect(failures.join('\n\n')).toBe('');
  }, 150_000);
});
