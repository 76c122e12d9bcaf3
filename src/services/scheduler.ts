/**
 * The per-instance scheduler: a loop that runs one task (check due watches; deliver due webhooks) now and then.
 * Which instance does which piece of work is decided in the database (leases, Store.claimDue*), not here, so every
 * instance runs the same loops. A round that found a full batch is followed by another at once; otherwise the next
 * round comes after the poll interval, or earlier when this instance scheduled work sooner (`wake`). Timers are
 * unref'd: a loop never keeps a process alive. `stop` waits for the round in progress.
 */
import type { Logger } from '../logger.js';

export interface Loop {
  start(): void;
  /** Runs a round at `at` (ms since the epoch; default now) if none is due sooner. */
  wake(at?: number): void;
  /** Stops scheduling and resolves once the round in progress (if any) has finished. */
  stop(): Promise<void>;
}

export interface LoopOptions {
  readonly name: string;
  readonly pollMs: number;
  /** One round; resolves true when more work is waiting right now (a full batch). */
  readonly run: () => Promise<boolean>;
  readonly logger: Logger;
}

export function createLoop(options: LoopOptions): Loop {
  let stopped = true;
  let timer: NodeJS.Timeout | null = null;
  let timerAt = Number.POSITIVE_INFINITY;
  let running: Promise<void> | null = null;
  /** The earliest wake asked for while a round ran. */
  let wantedAt = Number.POSITIVE_INFINITY;
  let lastProblem = '';

  const schedule = (at: number) => {
    if (stopped) return;
    if (running) {
      wantedAt = Math.min(wantedAt, at);
      return;
    }
    if (timer && timerAt <= at) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(round, Math.max(0, at - Date.now()));
    timer.unref();
  };

  const round = () => {
    timer = null;
    timerAt = Number.POSITIVE_INFINITY;
    wantedAt = Number.POSITIVE_INFINITY;
    running = (async () => {
      let more = false;
      try {
        more = await options.run();
        lastProblem = '';
      } catch (error) {
        // The database is down, say: one line per distinct problem, then quietly retry every poll interval.
        const message = error instanceof Error ? error.message : String(error);
        if (message !== lastProblem) options.logger.error({ err: error, loop: options.name }, 'scheduler round failed');
        lastProblem = message;
      }
      running = null;
      schedule(more ? Date.now() : Math.min(wantedAt, Date.now() + options.pollMs));
    })();
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(Date.now());
    },
    wake(at = Date.now()) {
      schedule(at);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
