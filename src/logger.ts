/**
 * Structured logs (pino). Every field that can hold a credential is redacted by path, whatever the log call site
 * passes, so a secret cannot reach a log line by accident.
 */
import { pino, type Logger } from 'pino';

/** Paths that may carry a caller's or a provider's secret. */
export const REDACTED_PATHS = [
  'apiKey',
  'apiSecret',
  'password',
  'sessionId',
  'key',
  'credentials',
  '*.apiKey',
  '*.apiSecret',
  '*.password',
  '*.sessionId',
  '*.credentials',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'params.APIKey',
  'params.ApiKey',
  'params.ApiSecret',
  'params.SessionID',
  'params.Password',
  'params.password',
];

export type { Logger };

export function createLogger(options: { level: string; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: undefined,
    },
    options.destination as pino.DestinationStream | undefined,
  );
}
