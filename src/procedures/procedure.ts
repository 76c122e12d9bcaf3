/**
 * The transport-agnostic core, tRPC-style: a procedure is a zod input schema, a middleware chain and a handler that
 * knows nothing of HTTP. REST and GraphQL both build a `CallContext` from their request and call `runProcedure`;
 * neither does anything else with a command.
 */
import type { z } from 'zod';
import { AppError, ERROR_CATALOGUE, errorItem, type ErrorItem, type ErrorKey } from '../errors.js';
import type { Principal } from '../auth/types.js';
import type { Account } from '../auth/account.js';
import type { Services } from '../app.js';
import type { Log } from '../logger.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import { boundedMemo } from '../bounded-memo.js';
import { rememberedInputs } from './inputs.js';

/** The rate-limit state the transport reports in `RateLimit-*` headers. */
export interface RateLimitState {
  readonly limit: number;
  readonly remaining: number;
  readonly resetSeconds: number;
}

/** What a transport knows about the caller before any middleware runs. */
export interface CallerCredentials {
  /** From `Authorization: Bearer …` or the `APIKey` parameter. */
  readonly apiKey?: string | undefined;
  readonly sessionId?: string | undefined;
  /** The client address, for the failed-authentication throttle. */
  readonly ip: string;
}

export interface CallContext {
  readonly services: Services;
  readonly caller: CallerCredentials;
  /** Which transport called: for logs only; handlers must not branch on it. */
  readonly transport: 'rest' | 'graphql';
  /** The request's id (`X-Request-Id`, src/request-id.ts). */
  readonly requestId: string;
  /**
   * The request's logger: every line a procedure or the services it calls log while serving it goes here, so that it
   * carries `requestId` (a `RequestLog`: the pino child is made on the first line only).
   */
  readonly logger: Log;
  /** Set by `authenticate`. */
  principal?: Principal;
  /**
   * Set by `authenticate` (`accountOf(principal)`): the account what the caller makes belongs to, and the one whose
   * rows it sees (every account's with Admin). Read it through `callerAccount`.
   */
  account?: Account;
  /** Set by `rateLimit`, read by the transport for the response headers. */
  rateLimit?: RateLimitState;
}

/**
 * One step before the handler; `errors` are the catalogue entries it may throw (for the API description). A step
 * whose answer is in memory returns (or throws) synchronously; one that waits returns a promise.
 */
export interface Middleware {
  (ctx: CallContext): MaybePromise<void>;
  readonly errors: readonly ErrorKey[];
}

export function defineMiddleware(errors: readonly ErrorKey[], run: (ctx: CallContext) => MaybePromise<void>): Middleware {
  return Object.assign(run, { errors });
}

export interface Procedure<Input, Output> {
  readonly name: string;
  readonly input: z.ZodType<Input>;
  readonly middleware: readonly Middleware[];
  /**
   * The catalogue entries the handler may throw (its input's and middleware's are known from them). The REST API
   * description lists them per command with their HTTP status; the recorded-traffic test holds replies to it.
   */
  readonly errors: readonly ErrorKey[];
  /** May answer synchronously (from a cache); `runProcedure` passes on whichever it gets. */
  readonly handler: (input: Input, ctx: CallContext) => MaybePromise<Output>;
}

/** The authenticated caller's account; a procedure without `authenticate` has none, a programming error. */
export function callerAccount(ctx: CallContext): Account {
  if (!ctx.account) throw new Error('callerAccount needs the authenticate middleware');
  return ctx.account;
}

export function defineProcedure<Input, Output>(procedure: Procedure<Input, Output>): Procedure<Input, Output> {
  return procedure;
}

function isErrorKey(value: string): value is ErrorKey {
  return Object.hasOwn(ERROR_CATALOGUE, value);
}

/**
 * Validates raw input. Schemas name catalogue entries as their issue messages (`{ error: 'DOMAIN_MISSING' }`), so
 * every failed field becomes its documented code; all of them are reported together, sorted by code.
 */
export function parseInput<Input>(schema: z.ZodType<Input>, raw: unknown): Input {
  const fields = rememberedInputs.get(schema);
  const key = fields ? valuesKey(fields, raw) : undefined;
  return key === undefined ? parseUncached(schema, raw) : (rememberedParse(schema)(key, raw) as Input);
}

/** Distinct inputs remembered per `publicCommandInput` (first in, first out). */
const MAX_REMEMBERED_INPUTS = 1000;

const rememberedParses = new WeakMap<z.ZodType, (key: string, raw: unknown) => unknown>();

/** The remembered parses of one input: a failed parse throws and is not remembered; a success is frozen and shared. */
function rememberedParse(schema: z.ZodType): (key: string, raw: unknown) => unknown {
  let parse = rememberedParses.get(schema);
  if (!parse) {
    parse = boundedMemo(MAX_REMEMBERED_INPUTS, (_key: string, raw: unknown) => Object.freeze(parseUncached(schema, raw)), (key) => key);
    rememberedParses.set(schema, parse);
  }
  return parse;
}

/**
 * The memo key of a raw input: its fields' values, when each is a string or absent (what REST and GraphQL pass);
 * undefined for anything else, which is parsed afresh. Other keys of `raw` do not matter: the input ignores them.
 */
function valuesKey(fields: readonly string[], raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  if (fields.length === 1) {
    // One field (dns.provider's domain): the value itself, marked so that absent and every string stay distinct.
    const value = Object.hasOwn(raw, fields[0]!) ? (raw as Record<string, unknown>)[fields[0]!] : undefined;
    return value === undefined ? '-' : typeof value === 'string' ? `=${value}` : undefined;
  }
  const values: (string | null)[] = [];
  for (const field of fields) {
    const value = Object.hasOwn(raw, field) ? (raw as Record<string, unknown>)[field] : undefined;
    if (value !== undefined && typeof value !== 'string') return undefined;
    values.push(value ?? null);
  }
  return JSON.stringify(values);
}

function parseUncached<Input>(schema: z.ZodType<Input>, raw: unknown): Input {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const items = new Map<string, ErrorItem>();
  for (const issue of result.error.issues) {
    const [key, ...detail] = issue.message.split('|');
    const item = key && isErrorKey(key)
      ? errorItem(key, detail.join('|') || undefined)
      : errorItem('PARAMETER_INVALID', `${issue.path.join('.') || 'input'}: ${issue.message}`);
    if (!items.has(item.key)) items.set(item.key, item);
  }
  // Where one code has both a "missing" and a more specific entry (1: missing vs invalid domain), keep one per code.
  const byCode = new Map<number, ErrorItem>();
  for (const item of items.values()) if (!byCode.has(item.code)) byCode.set(item.code, item);
  throw new AppError([...byCode.values()]);
}

/**
 * Runs middleware in order, then validates the input and calls the handler. Each step starts only once the previous
 * one has finished, but no step waits for a promise it was not given: while every step answers from memory (a cached
 * key, the in-process budget, a cached detection) the whole call runs synchronously and returns the handler's value,
 * without a promise or a microtask tick. From the first step that returns a promise on, the rest chains on it.
 *
 * So it either returns (a value or a promise) or throws: a failure in the synchronous stretch is thrown, a later one
 * rejects. Callers `await` it inside a `try`, or test the result with `isPromise` to skip the tick.
 */
export function runProcedure<Input, Output>(procedure: Procedure<Input, Output>, rawInput: unknown, ctx: CallContext): MaybePromise<Output> {
  return runFrom(procedure, rawInput, ctx, 0);
}

/** `runProcedure` from middleware step `first` on. */
function runFrom<Input, Output>(procedure: Procedure<Input, Output>, rawInput: unknown, ctx: CallContext, first: number): MaybePromise<Output> {
  const { middleware } = procedure;
  for (let i = first; i < middleware.length; i++) {
    const step = middleware[i]!(ctx);
    if (isPromise(step)) return step.then(() => runFrom(procedure, rawInput, ctx, i + 1));
  }
  return procedure.handler(parseInput(procedure.input, rawInput), ctx);
}
