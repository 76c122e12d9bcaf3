/**
 * The provider table as the transports see it: which providers this server has (the GraphQL enum), their names, and
 * what each credential parameter means (field descriptions). Transports import it from here, never from providers/,
 * so the layering stays transport → procedure → service → adapter.
 */
export { PROVIDER_CREDENTIALS, PROVIDER_IDS } from '../../providers/registry.js';
export { PROVIDER_NAMES, type CredentialField, type ProviderId } from '../../providers/types.js';
