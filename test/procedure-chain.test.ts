/**
 * runProcedure runs its chain synchronously while every step answers from memory, and chains on a promise only from
 * the step that returns one: the order (each step after the previous one finished) and the outcome stay the same.
 */
import { RequestLog } from '../src/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../src/errors.js';
import { isPromise } from '../src/maybe-promise.js';
import { defineMiddleware, defineProcedure, parseInput, runProcedure, type CallContext, type Middleware } from '../src/procedures/procedure.js';
import { dnsProvider } from '../src/procedures/dns-provider.js';
import { dnsVerify } from '../src/procedures/dns-verify.js';
import type { Services } from '../src/app.js';
import { startWorld, type World } from './helpers/world.js';
import { http } from './helpers/gateway.js';

type Step = 'sync' | 'throws' | 'rejects' | 'later';

/** A chain of three middleware and a handler that log when they start and end; `kinds` says how each step answers. */
function chain(kinds: readonly [Step, Step, Step], handlerKind: 'sync' | 'later' = 'sync') {
  const log: string[] = [];
  const step = (name: string, kind: Step): Middleware =>
    defineMiddleware([], () => {
      log.push(`${name} start`);
      if (kind === 'throws') throw AppError.of('PERMISSION_DENIED', name);
      if (kind === 'rejects') return Promise.reject(AppError.of('PERMISSION_DENIED', name));
      if (kind === 'later') return new Promise<void>((resolve) => setTimeout(() => (log.push(`${name} end`), resolve()), 5));
      log.push(`${name} end`);
    });
  const procedure = defineProcedure({
    name: 'test.chain',
    input: z.object({ n: z.number({ error: 'PARAMETER_INVALID' }) }),
    middleware: [step('a', kinds[0]), step('b', kinds[1]), step('c', kinds[2])],
    errors: [],
    handler: ({ n }) => {
      log.push('handler');
      return handlerKind === 'sync' ? n * 2 : new Promise<number>((resolve) => setTimeout(() => resolve(n * 2), 5));
    },
  });
  const ctx = { caller: { ip: '127.0.0.1' }, transport: 'rest' } as unknown as CallContext;
  return { log, run: (input: unknown = { n: 21 }) => runProcedure(procedure, input, ctx) };
}

describe('runProcedure', () => {
  it('returns the value itself, not a promise, when every step is synchronous', () => {
    const { log, run } = chain(['sync', 'sync', 'sync']);
    const result = run();
    expect(isPromise(result)).toBe(false);
    expect(result).toBe(42);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end', 'handler']);
  });

  it('passes on the handler promise when only the handler waits', async () => {
    const { run } = chain(['sync', 'sync', 'sync'], 'later');
    const result = run();
    expect(isPromise(result)).toBe(true);
    expect(await result).toBe(42);
  });

  it('throws synchronously when a synchronous step throws, and runs nothing after it', () => {
    const { log, run } = chain(['sync', 'throws', 'sync']);
    expect(() => run()).toThrow(AppError);
    expect(log).toEqual(['a start', 'a end', 'b start']);
  });

  it('throws the input error synchronously, after the middleware', () => {
    const { log, run } = chain(['sync', 'sync', 'sync']);
    expect(() => run({ n: 'x' })).toThrow(AppError);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });

  it('rejects when a step rejects, and runs nothing after it', async () => {
    const { log, run } = chain(['sync', 'rejects', 'sync']);
    const result = run();
    expect(isPromise(result)).toBe(true);
    await expect(result).rejects.toThrow(AppError);
    expect(log).toEqual(['a start', 'a end', 'b start']);
  });

  it('does not start the next step before a waiting step has finished', async () => {
    const { log, run } = chain(['later', 'sync', 'later']);
    const result = run();
    expect(isPromise(result)).toBe(true);
    expect(log).toEqual(['a start']);
    expect(await result).toBe(42);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end', 'handler']);
  });

  it('rejects when a step after a waiting one throws synchronously, and runs nothing after it', async () => {
    const { log, run } = chain(['later', 'throws', 'sync']);
    await expect(run()).rejects.toThrow(AppError);
    expect(log).toEqual(['a start', 'a end', 'b start']);
  });

  it('rejects with the input error after a waiting step, without calling the handler', async () => {
    const { log, run } = chain(['sync', 'later', 'sync']);
    await expect(run({})).rejects.toThrow(AppError);
    expect(log).not.toContain('handler');
  });
});

describe('a cached dns.provider call through the real services', () => {
  let world: World;
  let services: Services;
  let key: string;
  const call = (apiKey: string | undefined): CallContext => ({ services, caller: { ip: '127.0.0.9', apiKey }, transport: 'rest', requestId: 'test', logger: new RequestLog(services.logger, 'test') });

  beforeAll(async () => {
    world = await startWorld();
    services = world.gateway.running.services;
    key = await world.gateway.createKey();
  });
  afterAll(() => world.close());

  it('is answered synchronously once the key and the NS answer are cached, with the budget drawn', async () => {
    // The first call looks the key up in the store and asks DNS: it waits.
    const first = runProcedure(dnsProvider, { domain: 'example.com' }, call(key));
    expect(isPromise(first)).toBe(true);
    expect(await first).toMatchObject({ provider: 'cloudflare' });

    const ctx = call(key);
    const second = runProcedure(dnsProvider, { domain: 'example.com' }, ctx);
    expect(isPromise(second)).toBe(false);
    expect(second).toMatchObject({ provider: 'cloudflare', supported: true });
    expect(ctx.principal?.keyId).toBeTruthy();
    expect(ctx.rateLimit).toMatchObject({ remaining: services.rateLimiter.limit - 2 });
  });

  it('REST reads a field from the first of its parameter names present, whatever their order in the request', async () => {
    const provider = async (query: string) => (await http(`${world.gateway.url}/api/v1/dns.provider?${query}`, { headers: { authorization: `Bearer ${key}` } })).json;
    expect(await provider('domain=not_valid&Domain=example.com')).toEqual({ provider: 'cloudflare' });
    expect(await provider('Domain=example.com&domain=not_valid')).toEqual({ provider: 'cloudflare' });
    expect((await provider('domain=example.com&Domain=not_valid')).Errors[0].Code).toBe(1);
  });

  it('still refuses a wrong key, after waiting for the store', async () => {
    const ctx: CallContext = { services, caller: { ip: '127.0.0.10', apiKey: 'not-a-key' }, transport: 'rest', requestId: 'test', logger: new RequestLog(services.logger, 'test') };
    const result = runProcedure(dnsProvider, { domain: 'example.com' }, ctx);
    expect(isPromise(result)).toBe(true);
    const error = await Promise.resolve(result).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).primary.key).toBe('AUTHENTICATION_FAILED');
    expect(ctx.principal).toBeUndefined();
    expect(ctx.rateLimit).toBeUndefined();
  });
});

describe('parseInput of a public command input (remembered per distinct values)', () => {
  const errorKey = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (error) {
      return (error as AppError).primary.key;
    }
    return undefined;
  };

  it('answers as an unremembered parse for each distinct value, and refuses bad values every time', () => {
    expect(parseInput(dnsProvider.input, { domain: 'Example.COM' })).toEqual({ domain: 'example.com' });
    expect(parseInput(dnsProvider.input, { domain: 'example.org' })).toEqual({ domain: 'example.org' });
    expect(parseInput(dnsProvider.input, { domain: 'Example.COM', Provider: 'ignored' })).toEqual({ domain: 'example.com' });
    for (let i = 0; i < 2; i++) {
      expect(errorKey(() => parseInput(dnsProvider.input, {}))).toBe('DOMAIN_MISSING');
      expect(errorKey(() => parseInput(dnsProvider.input, { domain: 'not a domain' }))).toBe('DOMAIN_INVALID');
      // Not a string: parsed afresh, with the same refusal.
      expect(errorKey(() => parseInput(dnsProvider.input, { domain: 42 }))).toBe('DOMAIN_INVALID');
    }
  });

  it('tells inputs apart by every field', () => {
    expect(parseInput(dnsVerify.input, { domain: 'example.com', recordType: 'campaign' })).toMatchObject({ domain: 'example.com' });
    expect(errorKey(() => parseInput(dnsVerify.input, { domain: 'example.com' }))).toBeDefined();
    expect(errorKey(() => parseInput(dnsVerify.input, { domain: 'example.com', recordType: 'nonsense' }))).toBeDefined();
  });

  it('shares a frozen value, so no handler can change what the next caller gets', () => {
    const first = parseInput(dnsProvider.input, { domain: 'frozen-example.com' });
    expect(Object.isFrozen(first)).toBe(true);
    expect(parseInput(dnsProvider.input, { domain: 'frozen-example.com' })).toBe(first);
  });
});
