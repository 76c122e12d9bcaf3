/**
 * Watch state changes between the instance that checked a watch and the GraphQL subscribers of that watch, on any
 * instance: graphql-yoga's `createPubSub`, over `@graphql-yoga/redis-event-target` when Redis is configured (one
 * channel per watch, `<REDIS_KEY_PREFIX>watch:<id>`), in-process otherwise. Events are hints for live subscribers
 * only: the watch row in the database is the truth, and webhooks go through the durable outbox, not through here.
 *
 * Both libraries are loaded on first use: a single instance that never serves a subscription does not pay for them
 * at start-up.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/** What a published event carries: a watch as callers see it (never a credential, never the owner's label). */
export interface PublishedWatch {
  readonly id: string;
  readonly version: number;
  readonly state: string;
}

/** One watch's events from the moment `listen` resolved. */
export interface WatchListener<T> {
  next(): Promise<IteratorResult<T>>;
  /** Stops listening; a pending `next` resolves done. */
  return(): Promise<void>;
}

export interface WatchEventBus {
  publish<T extends PublishedWatch>(watch: T): Promise<void>;
  /**
   * Listens to one watch. When this resolves the listener is registered (and, with Redis, the channel subscription
   * confirmed by the server), so an event published afterwards, on any instance, is not missed.
   */
  listen<T extends PublishedWatch>(watchId: string): Promise<WatchListener<T>>;
  close(): Promise<void>;
}

type PubSub = import('graphql-yoga').PubSub<Record<string, [string, PublishedWatch]>>;

export function createWatchEventBus(options: { readonly redis: Redis | null; readonly keyPrefix: string; readonly logger: Logger }): WatchEventBus {
  const routingKey = `${options.keyPrefix}watch`;
  let subscriber: Redis | null = null;
  let loading: Promise<PubSub> | undefined;

  const pubsub = (): Promise<PubSub> =>
    (loading ??= (async () => {
      const { createPubSub } = await import('graphql-yoga');
      if (!options.redis) return createPubSub<Record<string, [string, PublishedWatch]>>();
      const { createRedisEventTarget } = await import('@graphql-yoga/redis-event-target');
      // A connection in subscriber mode can run nothing else: the publishing side uses the shared connection.
      const redis = options.redis;
      const connection = redis.duplicate();
      subscriber = connection;
      let lastProblem = '';
      connection.on('error', (error: Error) => {
        if (error.message !== lastProblem) options.logger.warn({ err: { message: error.message } }, 'redis subscriber connection problem');
        lastProblem = error.message;
      });
      // The event target fires PUBLISH, SUBSCRIBE and UNSUBSCRIBE without waiting for them: while Redis is down their
      // rejections would be unhandled (and end the process). They are caught and logged here; a subscriber that
      // missed events still has the watch's state in the database.
      const failed = (what: string) => (error: unknown) => {
        options.logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, `redis ${what} failed: live watch events are missed meanwhile`);
      };
      const publishClient = { publish: (channel: string, message: string) => redis.publish(channel, message).catch(failed('PUBLISH')) };
      const subscribeClient = {
        on: (event: 'message', listener: (channel: string, message: string) => void) => connection.on(event, listener),
        subscribe: (channel: string) => connection.subscribe(channel).catch(failed('SUBSCRIBE')),
        unsubscribe: (channel: string) => connection.unsubscribe(channel).catch(failed('UNSUBSCRIBE')),
      };
      const eventTarget = createRedisEventTarget({ publishClient: publishClient as unknown as Redis, subscribeClient: subscribeClient as unknown as Redis });
      return createPubSub<Record<string, [string, PublishedWatch]>>({ eventTarget });
    })());

  return {
    async publish(watch) {
      (await pubsub()).publish(routingKey, watch.id, watch);
    },

    async listen<T extends PublishedWatch>(watchId: string) {
      const iterator = (await pubsub()).subscribe(routingKey, watchId)[Symbol.asyncIterator]();
      // The repeater registers its listener (and the Redis event target sends SUBSCRIBE) on the first pull.
      const first = iterator.next() as Promise<IteratorResult<T>>;
      // The event target does not wait for the server's answer. A second SUBSCRIBE of the same channel changes
      // nothing at Redis, and Redis answers a connection's commands in order: once it is answered, so was the first.
      if (subscriber) {
        try {
          await subscriber.subscribe(`${routingKey}:${watchId}`);
        } catch (error) {
          await iterator.return?.();
          throw error;
        }
      }
      let pending: Promise<IteratorResult<T>> | null = first;
      return {
        next: () => {
          const result = pending ?? (iterator.next() as Promise<IteratorResult<T>>);
          pending = null;
          return result;
        },
        async return() {
          await iterator.return?.();
        },
      };
    },

    async close() {
      const connection = subscriber as Redis | null;
      subscriber = null;
      await connection?.quit().catch(() => connection.disconnect());
    },
  };
}
