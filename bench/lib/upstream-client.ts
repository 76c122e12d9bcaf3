/** The parent's side of bench/upstream.ts: start it, ask for call logs, reset them. */
import type { ChildProcess } from 'node:child_process';
import { forkTs } from './children.js';
import type { UpstreamCalls, UpstreamReady, UpstreamRequest } from './upstream-protocol.js';

export interface Upstream extends UpstreamReady {
  readonly pid: number;
  calls(): Promise<UpstreamCalls>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

function next<T>(child: ChildProcess, type: string, send?: UpstreamRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string }) => {
      if (message?.type !== type) return;
      cleanup();
      resolve(message as T);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`the upstream fakes process exited (code ${code}) while waiting for "${type}"`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (send) child.send(send);
  });
}

export async function startUpstream(): Promise<Upstream> {
  const child = forkTs('bench/upstream.ts');
  const ready = await next<UpstreamReady>(child, 'ready');
  return {
    ...ready,
    pid: child.pid!,
    calls: () => next<UpstreamCalls>(child, 'calls', { type: 'calls' }),
    reset: async () => {
      await next(child, 'reset-done', { type: 'reset' });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send({ type: 'stop' });
      }),
  };
}
