import type { IncomingMessage } from 'node:http';
import type { CallerCredentials } from './procedure.js';

/**
 * The caller's credentials from `Authorization: Bearer <token>`, for both transports. Session ids and API keys are
 * told apart by their prefix (`dgs_` / `dgk_`), so one header serves both; without the header only `ip` is set.
 */
export function callerFromBearer(req: IncomingMessage): CallerCredentials {
  const ip = req.socket.remoteAddress ?? 'unknown';
  const token = req.headers.authorization ? /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization)?.[1] : undefined;
  if (!token) return { ip };
  return token.startsWith('dgs_') ? { sessionId: token, ip } : { apiKey: token, ip };
}
