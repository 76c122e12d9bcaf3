/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query DnsProvider($domain: String!) {\n  dnsProvider(domain: $domain) {\n    __typename\n    ... on DnsProviderDetection {\n      provider\n      supported\n      nameservers\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}\n\nmutation AuthorizeDns($input: AuthorizeDnsInput!) {\n  authorizeDns(input: $input) {\n    __typename\n    ... on AuthorizeDnsSuccess {\n      success\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}\n\nmutation SetDnsRecords($input: SetDnsRecordsInput!) {\n  setDnsRecords(input: $input) {\n    __typename\n    ... on SetDnsRecordsSuccess {\n      success\n      applied\n      changes {\n        action\n        type\n        name\n        content\n        ttl\n        previous\n      }\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}\n\nquery DnsChanges($domain: String!) {\n  dnsChanges(domain: $domain) {\n    id\n    domain\n    provider\n    recordType\n    createdAt\n    applied\n    revertOf\n    changes {\n      action\n      type\n      name\n      content\n      ttl\n      previous\n    }\n  }\n}\n\nmutation RevertDnsChange($input: RevertDnsChangeInput!) {\n  revertDnsChange(input: $input) {\n    __typename\n    ... on RevertDnsChangeSuccess {\n      success\n      changes {\n        action\n        type\n        name\n        content\n        ttl\n        previous\n      }\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}": typeof types.DnsProviderDocument,
};
const documents: Documents = {
    "query DnsProvider($domain: String!) {\n  dnsProvider(domain: $domain) {\n    __typename\n    ... on DnsProviderDetection {\n      provider\n      supported\n      nameservers\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}\n\nmutation AuthorizeDns($input: AuthorizeDnsInput!) {\n  authorizeDns(input: $input) {\n    __typename\n    ... on AuthorizeDnsSuccess {\n      success\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}\n\nmutation SetDnsRecords($input: SetDnsRecordsInput!) {\n  setDnsRecords(input: $input) {\n    __typename\n    ... on SetDnsRecordsSuccess {\n      success\n      applied\n      changes {\n        action\n        type\n        name\n        content\n        ttl\n        previous\n      }\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}\n\nquery DnsChanges($domain: String!) {\n  dnsChanges(domain: $domain) {\n    id\n    domain\n    provider\n    recordType\n    createdAt\n    applied\n    revertOf\n    changes {\n      action\n      type\n      name\n      content\n      ttl\n      previous\n    }\n  }\n}\n\nmutation RevertDnsChange($input: RevertDnsChangeInput!) {\n  revertDnsChange(input: $input) {\n    __typename\n    ... on RevertDnsChangeSuccess {\n      success\n      changes {\n        action\n        type\n        name\n        content\n        ttl\n        previous\n      }\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}": types.DnsProviderDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query DnsProvider($domain: String!) {\n  dnsProvider(domain: $domain) {\n    __typename\n    ... on DnsProviderDetection {\n      provider\n      supported\n      nameservers\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}\n\nmutation AuthorizeDns($input: AuthorizeDnsInput!) {\n  authorizeDns(input: $input) {\n    __typename\n    ... on AuthorizeDnsSuccess {\n      success\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}\n\nmutation SetDnsRecords($input: SetDnsRecordsInput!) {\n  setDnsRecords(input: $input) {\n    __typename\n    ... on SetDnsRecordsSuccess {\n      success\n      applied\n      changes {\n        action\n        type\n        name\n        content\n        ttl\n        previous\n      }\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}\n\nquery DnsChanges($domain: String!) {\n  dnsChanges(domain: $domain) {\n    id\n    domain\n    provider\n    recordType\n    createdAt\n    applied\n    revertOf\n    changes {\n      action\n      type\n      name\n      content\n      ttl\n      previous\n    }\n  }\n}\n\nmutation RevertDnsChange($input: RevertDnsChangeInput!) {\n  revertDnsChange(input: $input) {\n    __typename\n    ... on RevertDnsChangeSuccess {\n      success\n      changes {\n        action\n        type\n        name\n        content\n        ttl\n        previous\n      }\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}"): (typeof documents)["query DnsProvider($domain: String!) {\n  dnsProvider(domain: $domain) {\n    __typename\n    ... on DnsProviderDetection {\n      provider\n      supported\n      nameservers\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}\n\nmutation AuthorizeDns($input: AuthorizeDnsInput!) {\n  authorizeDns(input: $input) {\n    __typename\n    ... on AuthorizeDnsSuccess {\n      success\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}\n\nmutation SetDnsRecords($input: SetDnsRecordsInput!) {\n  setDnsRecords(input: $input) {\n    __typename\n    ... on SetDnsRecordsSuccess {\n      success\n      applied\n      changes {\n        action\n        type\n        name\n        content\n        ttl\n        previous\n      }\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}\n\nquery DnsChanges($domain: String!) {\n  dnsChanges(domain: $domain) {\n    id\n    domain\n    provider\n    recordType\n    createdAt\n    applied\n    revertOf\n    changes {\n      action\n      type\n      name\n      content\n      ttl\n      previous\n    }\n  }\n}\n\nmutation RevertDnsChange($input: RevertDnsChangeInput!) {\n  revertDnsChange(input: $input) {\n    __typename\n    ... on RevertDnsChangeSuccess {\n      success\n      changes {\n        action\n        type\n        name\n        content\n        ttl\n        previous\n      }\n    }\n    ... on DnsError {\n      code\n      message\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;