import { AppError } from '../errors.js';
import type { DomainConnectInfo } from '../domain-connect/service.js';
import { authenticate } from './middleware/authenticate.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requirePermission } from './middleware/require-permission.js';
import { domainInput, publicCommandInput } from './inputs.js';
import { defineProcedure, type CallContext } from './procedure.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import type { Detection } from '../detection/detect.js';

export interface DnsProviderOutput {
  /** Lower-case provider id (`cloudflare`, `route53`, …). */
  readonly provider: string;
  /** True when this service can manage zones at that provider. */
  readonly supported: boolean;
  readonly nameservers: readonly string[];
  /**
   * Domain Connect discovery for the domain, run only when asked (GraphQL `domainConnect`; REST dns.provider answers
   * `{"provider":…}` only and never pays for it): null when off on this server or not available for the domain.
   */
  readonly domainConnect: () => Promise<DomainConnectInfo | null>;
}

/** dns.provider: which DNS host serves a domain, from its NS records. */
export const dnsProvider = defineProcedure({
  name: 'dns.provider',
  input: publicCommandInput({ domain: domainInput }),
  middleware: [authenticate, rateLimit, requirePermission('User.Update')],
  errors: ['PROVIDER_UNDETERMINED', 'DETECTION_FAILED'],
  // Answers synchronously when the domain's NS answers are cached (src/maybe-promise.ts): the common case.
  handler({ domain }, ctx): MaybePromise<DnsProviderOutput> {
    let detection;
    try {
      detection = ctx.services.detector.detect(domain);
    } catch (error) {
      throw detectionFailed(ctx, domain, error);
    }
    if (!isPromise(detection)) return providerOutput(ctx, domain, detection);
    return detection.then(
      (found) => providerOutput(ctx, domain, found),
      (error: unknown) => {
        throw detectionFailed(ctx, domain, error);
      },
    );
  },
});

function detectionFailed(ctx: CallContext, domain: string, error: unknown): AppError {
  ctx.logger.warn({ domain, err: (error as Error).message }, 'NS lookup failed');
  return AppError.of('DETECTION_FAILED', undefined, { cause: error });
}

function providerOutput(ctx: CallContext, domain: string, detection: Detection | null): DnsProviderOutput {
  if (!detection) throw AppError.of('PROVIDER_UNDETERMINED');
  const { domainConnect } = ctx.services;
  return {
    provider: detection.provider,
    supported: detection.supported,
    nameservers: detection.nameservers,
    domainConnect: () => domainConnect.info(domain),
  };
}
