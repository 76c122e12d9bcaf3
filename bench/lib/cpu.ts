/**
 * How much CPU the bench's own processes used during a run, and how much went to everything else on the machine.
 * On a shared machine (CI, a laptop compiling something) other work steals cores from the server and the numbers
 * drop for reasons that are not the server's: this makes that visible per run instead of silently wrong.
 * Linux only (/proc); elsewhere every reading is null.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Clock ticks per second of /proc/stat and /proc/PID/stat; 100 on every mainstream Linux build. */
const TICKS_PER_SECOND = 100;

interface Snapshot {
  readonly at: number;
  /** Busy ticks of all CPUs together. */
  readonly machineBusy: number;
  /** user + system ticks of each watched pid. */
  readonly own: number;
}

function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal …: everything but idle and iowait is busy.
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
}

function processTicks(pid: number, statPath = `/proc/${pid}/stat`): number {
  try {
    const stat = readFileSync(statPath, 'utf8');
    // Fields after the parenthesised command name (which may hold spaces): utime is the 14th field, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/**
 * CPU seconds (user + system) `pid` has used so far, all its threads together and its main thread alone (the thread
 * whose id is the pid: for node, the event loop), or null where /proc cannot be read. The difference is V8's helper
 * threads (parallel scavenges, concurrent marking and compiling) and libuv's pool: work that competes with the load
 * generator for the second core.
 */
export function processCpuSeconds(pid: number): { all: number; mainThread: number } | null {
  try {
    readFileSync(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  return { all: processTicks(pid) / TICKS_PER_SECOND, mainThread: processTicks(pid, `/proc/${pid}/task/${pid}/stat`) / TICKS_PER_SECOND };
}

function snapshot(pids: readonly number[]): Snapshot | null {
  try {
    return { at: performance.now(), machineBusy: machineBusyTicks(), own: pids.reduce((n, pid) => n + processTicks(pid), 0) };
  } catch {
    return null;
  }
}

export interface CpuShare {
  /** Cores' worth of CPU the watched processes used (2.0 = two full cores). */
  readonly ownCores: number;
  /** Cores' worth used by every other process: contention the numbers did not ask for. */
  readonly foreignCores: number;
  readonly cores: number;
}

/** Starts watching `pids`; the returned function gives the shares since then. */
export function watchCpu(pids: readonly number[]): () => CpuShare | null {
  const start = snapshot(pids);
  return () => {
    const end = snapshot(pids);
    if (!start || !end) return null;
    const seconds = (end.at - start.at) / 1000;
    if (seconds <= 0) return null;
    const own = (end.own - start.own) / TICKS_PER_SECOND / seconds;
    const busy = (end.machineBusy - start.machineBusy) / TICKS_PER_SECOND / seconds;
    return { ownCores: own, foreignCores: Math.max(0, busy - own), cores: os.cpus().length };
  };
}
