/**
 * Child processes of the benchmark. Servers run in their own processes so that autocannon (in the parent) never
 * shares an event loop with the server it measures. Every child is node itself with tsx as an import hook (not the
 * `tsx` binary, which would put a second process between us and the server), so the pid we hold is the pid whose
 * memory we read and whose profile we take.
 */
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const running = new Set<ChildProcess>();

/** Kills every child still running; called on exit so a crashed bench leaves no servers behind. */
export function killAllChildren(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
process.once('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Spawns `node [nodeFlags] --import tsx <script> [args]` from the project root, output piped. */
export function spawnTs(script: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; nodeFlags?: readonly string[] } = {}): ChildProcess {
  return spawnNode(script, args, { ...options, nodeFlags: [...(options.nodeFlags ?? []), '--import', 'tsx'] });
}

/**
 * Spawns a built JavaScript file with plain node (no TypeScript loader), as production runs it.
 * @param options.stdout a file descriptor for the child's stdout; @default a pipe
 */
export function spawnNode(script: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; nodeFlags?: readonly string[]; stdout?: number } = {}): ChildProcess {
  return track(
    spawn(process.execPath, [...(options.nodeFlags ?? []), '--enable-source-maps', path.join(ROOT, script), ...args], {
      cwd: ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
    }),
  );
}

/** Forks a TypeScript module with an IPC channel (for the upstream fakes, which answer call-log questions). */
export function forkTs(script: string): ChildProcess {
  return track(fork(path.join(ROOT, script), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
}

/** A port free right now on 127.0.0.1 (the OS picks it; there is a small window before the child binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One GET; resolves with the status, or null when the connection is refused (server not up yet). */
function probe(url: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? null));
    });
    req.once('error', () => resolve(null));
    req.end();
  });
}

/**
 * Polls `url` until it answers 200; resolves with the milliseconds since `startedAt` (a `performance.now()` value).
 * @default intervalMs 5, timeoutMs 30000
 */
export async function waitForHttp(url: string, child: ChildProcess, startedAt: number, options: { intervalMs?: number; timeoutMs?: number } = {}): Promise<number> {
  const intervalMs = options.intervalMs ?? 5;
  const deadline = startedAt + (options.timeoutMs ?? 30_000);
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the server process exited with code ${child.exitCode} before answering`);
    if ((await probe(url)) === 200) return performance.now() - startedAt;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${url}: no 200 within the start-up timeout`);
}

/** Collects a child's output (for error messages and for the admin key line). */
export function collectOutput(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    // Keep only the head: the key is printed at start-up, and a long run must not grow this without bound.
    if (out.length < 64_000) out += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    if (err.length < 64_000) err += chunk.toString('utf8');
  });
  return { stdout: () => out, stderr: () => err };
}

/** Sends SIGTERM and waits for the exit; SIGKILL after `graceMs`. @default graceMs 10000 */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Resets the kernel's peak-RSS counter of `pid` (writing 5 to /proc/PID/clear_refs), so the next `peakRssBytes`
 * reports the peak of one scenario rather than of the process's whole life. Returns false where that is not allowed.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** VmHWM (peak resident set) of `pid` in bytes, or null off Linux. */
export function peakRssBytes(pid: number): number | null {
  return procStatusBytes(pid, 'VmHWM');
}

/** VmRSS (current resident set) of `pid` in bytes, or null off Linux. */
export function currentRssBytes(pid: number): number | null {
  return procStatusBytes(pid, 'VmRSS');
}

/** One `kB` field of /proc/PID/status, in bytes. */
function procStatusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
