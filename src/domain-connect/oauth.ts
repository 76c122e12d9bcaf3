/**
 * The OAuth token endpoint of a DNS provider (DC-spec "OAuth Flow: Requesting an Access Token"):
 * `POST {urlAPI}/v2/oauth/access_token` with a JSON body (the spec accepts the query string too, but a secret in a
 * URL ends up in logs), grant_type `authorization_code` (with the code and the same redirect_uri) or `refresh_token`.
 * The answer holds access_token, token_type "bearer", expires_in and refresh_token.
 *
 * `urlAPI` here is the operator's configuration for that provider (DOMAIN_CONNECT_OAUTH_CLIENTS), never the value
 * discovery returned: the spec warns that a forged `_domainconnect` record could otherwise collect the secret.
 * Nothing here logs or returns a token, a code or the secret: errors say what failed in fixed words plus the OAuth
 * `error` code when it is one (RFC 6749 §5.2: a short ASCII word).
 */
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { OAuthClient } from '../config.js';
import { guardedRequest, GuardedHttpError, type GuardedReply } from './http.js';

/** A token set as stored (sealed) and used. */
export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken: string | null;
  /** Epoch ms after which the access token is taken as expired. */
  readonly expiresAt: number;
  /** The serviceIds the consent covered. */
  readonly scope: readonly string[];
}

export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(
    /** `refused`: the provider said no (a 4xx: a bad code, a revoked refresh token); `failed`: it could not answer. */
    readonly kind: 'refused' | 'failed',
    message: string,
  ) {
    super(message);
  }
}

/** When expires_in is absent: an hour (RFC 6749 leaves it optional; a 401 later refreshes anyway). */
const DEFAULT_EXPIRES_IN = 3600;
const MAX_REPLY_BYTES = 64 * 1024;

const tokenReply = z.object({
  access_token: z.string().min(1).max(8192),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().int().positive().max(10 * 365 * 86_400).optional().catch(undefined),
  refresh_token: z.string().min(1).max(8192).optional(),
});

export interface TokenRequestOptions {
  readonly dispatcher: Dispatcher;
  readonly client: OAuthClient;
  readonly deadline: number;
  readonly scope: readonly string[];
  /** @default Date.now */
  readonly now?: () => number;
}

export function exchangeCode(options: TokenRequestOptions & { code: string; redirectUri: string }): Promise<TokenSet> {
  return tokenRequest(options, { grant_type: 'authorization_code', code: options.code, redirect_uri: options.redirectUri }, null);
}

export function refreshTokens(options: TokenRequestOptions & { refreshToken: string }): Promise<TokenSet> {
  return tokenRequest(options, { grant_type: 'refresh_token', refresh_token: options.refreshToken }, options.refreshToken);
}

async function tokenRequest(options: TokenRequestOptions, grant: Record<string, string>, previousRefresh: string | null): Promise<TokenSet> {
  const body = JSON.stringify({ ...grant, client_id: options.client.clientId, client_secret: options.client.clientSecret });
  let reply: GuardedReply;
  try {
    reply = await guardedRequest(options.dispatcher, new URL(`${options.client.apiUrl}/v2/oauth/access_token`), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
      deadline: options.deadline,
      maxBodyBytes: MAX_REPLY_BYTES,
    });
  } catch (error) {
    if (error instanceof GuardedHttpError) throw new OAuthError('failed', `the token endpoint could not be reached: ${error.message}`);
    throw error;
  }
  const text = reply.body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (reply.status < 200 || reply.status > 299) {
    const code = (json as { error?: unknown } | undefined)?.error;
    const word = typeof code === 'string' && /^[a-z_]{1,40}$/.test(code) ? ` (${code})` : '';
    throw new OAuthError(reply.status >= 500 ? 'failed' : 'refused', `the token endpoint answered HTTP ${reply.status}${word}`);
  }
  const parsed = tokenReply.safeParse(json);
  if (!parsed.success) throw new OAuthError('failed', 'the token endpoint answered without an access_token');
  const now = (options.now ?? Date.now)();
  return {
    accessToken: parsed.data.access_token,
    refreshToken: parsed.data.refresh_token ?? previousRefresh,
    expiresAt: now + (parsed.data.expires_in ?? DEFAULT_EXPIRES_IN) * 1000,
    scope: options.scope,
  };
}
