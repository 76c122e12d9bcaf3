/**
 * The provider table as the transports see it: which providers this server has (the GraphQL enum), their names, and
 * what each credential parameter means (field descriptions). Transports import it from here, never from providers/,
 * so the layering stays transport → procedure → service → adapter.
 */
import { PROVIDER_CREDENTIALS, PROVIDER_IDS } from '../../providers/registry.js';
import { PROVIDER_NAMES, type CredentialField } from '../../providers/types.js';

export { PROVIDER_CREDENTIALS, PROVIDER_IDS } from '../../providers/registry.js';
export { PROVIDER_NAMES, type CredentialField, type ProviderId } from '../../providers/types.js';

/**
 * What one credential parameter means at each provider (sandbox aside), from the one credentials table: `lead` then
 * "Cloudflare: API token (Zone.DNS edit); GoDaddy: API key; …". For the GraphQL field descriptions and the REST API
 * description alike.
 */
export function describeCredential(field: CredentialField, lead: string): string {
  const uses = PROVIDER_IDS.filter((id) => id !== 'sandbox').flatMap((id) => {
    const use = PROVIDER_CREDENTIALS[id][field];
    return use ? [`${PROVIDER_NAMES[id]}: ${use.meaning}${use.required ? '' : ' (optional)'}`] : [];
  });
  return `${lead} ${uses.join('; ')}.`;
}
