/**
 * The composition root: builds every service once from the validated config. Procedures receive the result through
 * their call context; tests build it with overrides (a fake provider registry, an in-memory store).
 */
import type { Dispatcher } from 'undici';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { openStore } from './storage/open.js';
import type { Store } from './storage/store.js';
import { createAuthService } from './auth/auth-service.js';
import { ensureInitialAdminKey } from './auth/api-keys.js';
import type { AuthService } from './auth/types.js';
import { createRateLimiter, type RateLimiter } from './rate-limit/limiter.js';
import { createAuthFailureThrottle } from './rate-limit/auth-failures.js';
import { createResolver } from './detection/resolver.js';
import { createProviderDetector } from './detection/detect.js';
import { resolveTxtVia } from './records/spf-lookups.js';
import { checkVariables, loadTemplates } from './records/template.js';
import { createDnsService, type DnsService } from './services/dns-service.js';
import { createInProcessZoneLock } from './services/zone-lock.js';
import { createHttpAgent } from '../providers/http.js';
import { createProviderRegistry, type ProviderRegistry } from '../providers/registry.js';

/** Template variables that may stay unset: records using them are skipped (see src/records/template.ts). */
export const OPTIONAL_TEMPLATE_VARIABLES = ['MAIL_SPF_INCLUDE', 'MAIL_DMARC_RUA'];

export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  readonly auth: AuthService;
  readonly rateLimiter: RateLimiter;
  readonly authFailures: ReturnType<typeof createAuthFailureThrottle>;
  readonly detector: ReturnType<typeof createProviderDetector>;
  readonly dns: DnsService;
  /** The key created on the very first start (empty database), to be printed once; null otherwise. */
  readonly initialApiKey: string | null;
  close(): Promise<void>;
}

export interface ServiceOverrides {
  readonly logger?: Logger;
  readonly providers?: (deps: { dispatcher: Dispatcher; store: Store }) => ProviderRegistry;
}

export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const logger = overrides.logger ?? createLogger({ level: config.LOG_LEVEL });
  // Templates first: a broken template or a missing variable must stop start-up before anything is opened.
  const templates = await loadTemplates({ dir: config.RECORD_TEMPLATES_DIR });
  checkVariables(templates, config.templateVariables, OPTIONAL_TEMPLATE_VARIABLES);
  for (const name of config.demoDefaults) {
    logger.warn({ variable: name }, `${name} is not set: using a placeholder (set it before real use; required in production)`);
  }

  const store = await openStore(config.DATABASE_URL);
  const dispatcher = createHttpAgent();
  const resolver = createResolver({ servers: config.DNS_RESOLVERS, timeoutMs: config.DNS_TIMEOUT_MS });
  const providers = (overrides.providers ?? ((deps) => createProviderRegistry(config, deps)))({ dispatcher, store });
  const initialApiKey = await ensureInitialAdminKey(store);

  return {
    config,
    logger,
    store,
    initialApiKey,
    auth: createAuthService({ store, sessionIdleMinutes: config.SESSION_IDLE_MINUTES }),
    rateLimiter: createRateLimiter({ max: config.RATE_LIMIT_MAX, windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS }),
    authFailures: createAuthFailureThrottle({ limitPerMinute: config.AUTH_FAILURE_LIMIT }),
    detector: createProviderDetector({ resolver }),
    dns: createDnsService({
      providers,
      templates,
      templateVariables: config.templateVariables,
      resolveTxt: resolveTxtVia(resolver),
      zoneLock: createInProcessZoneLock(),
      logger,
    }),
    async close() {
      await dispatcher.close();
      await store.close();
    },
  };
}
