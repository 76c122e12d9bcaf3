/**
 * The live-event bus of watches (src/services/watch-events.ts): in-process, a listener registered by `listen` gets
 * what is published afterwards and can be stopped while waiting; over Redis, a Redis that fails never turns into an
 * unhandled rejection (the event target does not wait for PUBLISH or SUBSCRIBE), only into a warning.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { createWatchEventBus } from '../src/services/watch-events.js';

function capturedLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

describe('watch events', () => {
  it('in-process: a listener gets what is published after listen resolved, in order, and only for its watch', async () => {
    const bus = createWatchEventBus({ redis: null, keyPrefix: 't:', logger: capturedLogger().logger });
    const listener = await bus.listen<{ id: string; version: number; state: string }>('w1');
    await bus.publish({ id: 'w2', version: 1, state: 'READY' });
    await bus.publish({ id: 'w1', version: 2, state: 'READY' });
    await bus.publish({ id: 'w1', version: 3, state: 'BROKEN' });
    expect(await listener.next()).toEqual({ done: false, value: { id: 'w1', version: 2, state: 'READY' } });
    expect(await listener.next()).toEqual({ done: false, value: { id: 'w1', version: 3, state: 'BROKEN' } });
    const waiting = listener.next();
    await listener.return();
    expect(await waiting).toMatchObject({ done: true });
    await bus.close();
  });

  it('over a Redis that fails: publishing and listening are logged, never an unhandled rejection', async () => {
    const { lines, logger } = capturedLogger();
    const refuse = () => Promise.reject(new Error('Connection is closed.'));
    const subscriber = Object.assign(new EventEmitter(), { subscribe: refuse, unsubscribe: refuse, quit: async () => 'OK', disconnect: () => undefined });
    const redis = { publish: refuse, duplicate: () => subscriber } as unknown as Redis;
    const bus = createWatchEventBus({ redis, keyPrefix: 't:', logger });
    await bus.publish({ id: 'w1', version: 1, state: 'READY' });
    // listen waits for the server's answer to SUBSCRIBE, so it fails (the subscription then fails, not the process).
    await expect(bus.listen('w1')).rejects.toThrow('Connection is closed.');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines.some((l) => l.includes('redis PUBLISH failed'))).toBe(true);
    expect(lines.some((l) => l.includes('redis SUBSCRIBE failed'))).toBe(true);
    await bus.close();
  });
});
