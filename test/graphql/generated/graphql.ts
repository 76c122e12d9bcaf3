/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = T | null | undefined;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
};

export type AuthorizeDnsInput = {
  credentials: DnsCredentialsInput;
  domain: Scalars['String']['input'];
  provider: DnsProviderName;
};

export type AuthorizeDnsResult = AuthorizeDnsSuccess | DnsError;

export type AuthorizeDnsSuccess = {
  __typename?: 'AuthorizeDnsSuccess';
  success: Scalars['Boolean']['output'];
};

/** One change of the journal: which records changed, when, and how. Never holds a credential. */
export type DnsChange = {
  __typename?: 'DnsChange';
  /** True when writes reached the provider: status APPLIED or PARTIAL. */
  applied: Scalars['Boolean']['output'];
  /** The writes that landed, in the order the provider applied them (PENDING: the planned writes); `previous` is the content before. */
  changes: Array<DnsRecordChange>;
  /** ISO-8601 UTC. */
  createdAt: Scalars['String']['output'];
  domain: Scalars['String']['output'];
  /** What revertDnsChange takes (REST: ChangeID). */
  id: Scalars['ID']['output'];
  /** Set only on an entry whose stored form cannot be read: why. Its `changes` are then empty and it cannot be reverted. */
  problem?: Maybe<Scalars['String']['output']>;
  provider: DnsProviderName;
  recordType: DnsRecordType;
  /** The change this one reverted; null for a setDnsRecords. */
  revertOf?: Maybe<Scalars['ID']['output']>;
  status: DnsChangeStatus;
};

export enum DnsChangeAction {
  Conflict = 'CONFLICT',
  Create = 'CREATE',
  Delete = 'DELETE',
  Keep = 'KEEP',
  Update = 'UPDATE'
}

/** Where a journal entry stands. It is written PENDING before the first provider write and completed once the provider answered; one that stays PENDING was never completed (its command is still running, or its process stopped mid-write), so its writes may or may not be in the zone. */
export enum DnsChangeStatus {
  /** Every write landed. */
  Applied = 'APPLIED',
  /** The command failed and the provider reported no write as landed. */
  Failed = 'FAILED',
  /** The command failed after some writes landed: `changes` are those. */
  Partial = 'PARTIAL',
  /** Not completed: `changes` are the planned writes, any of which may have landed. */
  Pending = 'PENDING'
}

/** The customer's DNS provider credentials: never stored, never logged. */
export type DnsCredentialsInput = {
  /** REST `ApiKey`. Cloudflare: API token (Zone.DNS edit); GoDaddy: API key; Namecheap: API key. */
  apiKey: Scalars['String']['input'];
  /** REST `ApiSecret`. GoDaddy: API secret. */
  apiSecret?: InputMaybe<Scalars['String']['input']>;
  /** REST `ApiUser`. Namecheap: ApiUser. */
  apiUser?: InputMaybe<Scalars['String']['input']>;
  /** REST `Username`. Namecheap: UserName (usually the same as ApiUser). */
  username?: InputMaybe<Scalars['String']['input']>;
};

/** An expected failure of a DNS command. `code` is the platform REST API code for the same failure. */
export type DnsError = {
  __typename?: 'DnsError';
  code: Scalars['Int']['output'];
  message: Scalars['String']['output'];
};

/** Which DNS host serves a domain, from its NS records. */
export type DnsProviderDetection = {
  __typename?: 'DnsProviderDetection';
  nameservers: Array<Scalars['String']['output']>;
  /** Lower-case provider id, as on REST (`cloudflare`, `route53`, …). */
  provider: Scalars['String']['output'];
  /** Whether this service can manage records at that provider. */
  supported: Scalars['Boolean']['output'];
};

export enum DnsProviderName {
  /** Cloudflare */
  Cloudflare = 'CLOUDFLARE',
  /** GoDaddy */
  Godaddy = 'GODADDY',
  /** Namecheap */
  Namecheap = 'NAMECHEAP',
  /** Sandbox */
  Sandbox = 'SANDBOX'
}

export type DnsProviderResult = DnsError | DnsProviderDetection;

/** One line of a plan or of a journal entry: what happens (or would happen, or happened) to one record. */
export type DnsRecordChange = {
  __typename?: 'DnsRecordChange';
  action: DnsChangeAction;
  content: Scalars['String']['output'];
  /** The full domain name of the record. */
  name: Scalars['String']['output'];
  /** The content this change replaces or conflicts with. */
  previous?: Maybe<Scalars['String']['output']>;
  ttl: Scalars['Int']['output'];
  type: Scalars['String']['output'];
};

export enum DnsRecordType {
  Campaign = 'CAMPAIGN',
  EmailGateway = 'EMAIL_GATEWAY'
}

export type Mutation = {
  __typename?: 'Mutation';
  /** Checks that the credentials can manage the domain at the provider, writing nothing (REST: dns.authorize). */
  authorizeDns: AuthorizeDnsResult;
  /** Restores exactly the records one change touched, through the same provider; refused (DnsError code 9, nothing written) when any of them was edited since (REST: dns.revert). */
  revertDnsChange: RevertDnsChangeResult;
  /** Writes the record set through the provider: read, plan, then apply (REST: dns.set). */
  setDnsRecords: SetDnsRecordsResult;
};


export type MutationAuthorizeDnsArgs = {
  input: AuthorizeDnsInput;
};


export type MutationRevertDnsChangeArgs = {
  input: RevertDnsChangeInput;
};


export type MutationSetDnsRecordsArgs = {
  input: SetDnsRecordsInput;
};

export type Query = {
  __typename?: 'Query';
  /** The journal of the domain's changes, newest first, whatever their status (REST: dns.changes). */
  dnsChanges: Array<DnsChange>;
  /** Detects the DNS provider of a domain (REST: dns.provider). */
  dnsProvider: DnsProviderResult;
};


export type QueryDnsChangesArgs = {
  domain: Scalars['String']['input'];
};


export type QueryDnsProviderArgs = {
  domain: Scalars['String']['input'];
};

export type RevertDnsChangeInput = {
  /** Credentials for the change's provider. */
  credentials: DnsCredentialsInput;
  id: Scalars['ID']['input'];
};

export type RevertDnsChangeResult = DnsError | RevertDnsChangeSuccess;

export type RevertDnsChangeSuccess = {
  __typename?: 'RevertDnsChangeSuccess';
  /** The writes that restored the records. */
  changes: Array<DnsRecordChange>;
  success: Scalars['Boolean']['output'];
};

export type SetDnsRecordsInput = {
  credentials: DnsCredentialsInput;
  domain: Scalars['String']['input'];
  /** Plan only: return the changes and write nothing. */
  dryRun?: InputMaybe<Scalars['Boolean']['input']>;
  /** Replace exactly the conflicting records the plan names. */
  force?: InputMaybe<Scalars['Boolean']['input']>;
  provider: DnsProviderName;
  recordType: DnsRecordType;
};

export type SetDnsRecordsResult = DnsError | SetDnsRecordsSuccess;

export type SetDnsRecordsSuccess = {
  __typename?: 'SetDnsRecordsSuccess';
  /** False for a dry run; true once the zone holds the record set. */
  applied: Scalars['Boolean']['output'];
  changes: Array<DnsRecordChange>;
  success: Scalars['Boolean']['output'];
  /** What the plan could not check, one sentence each; empty when everything was checked (e.g. an SPF record whose DNS-lookup count could not be established because a lookup failed: it is written, and said so here). */
  warnings: Array<Scalars['String']['output']>;
};

export type DnsProviderQueryVariables = Exact<{
  domain: Scalars['String']['input'];
}>;


export type DnsProviderQuery = { __typename?: 'Query', dnsProvider:
    | { __typename: 'DnsError', code: number, message: string }
    | { __typename: 'DnsProviderDetection', provider: string, supported: boolean, nameservers: Array<string> }
   };

export type AuthorizeDnsMutationVariables = Exact<{
  input: AuthorizeDnsInput;
}>;


export type AuthorizeDnsMutation = { __typename?: 'Mutation', authorizeDns:
    | { __typename: 'AuthorizeDnsSuccess', success: boolean }
    | { __typename: 'DnsError', code: number, message: string }
   };

export type SetDnsRecordsMutationVariables = Exact<{
  input: SetDnsRecordsInput;
}>;


export type SetDnsRecordsMutation = { __typename?: 'Mutation', setDnsRecords:
    | { __typename: 'DnsError', code: number, message: string }
    | { __typename: 'SetDnsRecordsSuccess', success: boolean, applied: boolean, changes: Array<{ __typename?: 'DnsRecordChange', action: DnsChangeAction, type: string, name: string, content: string, ttl: number, previous?: string | null }> }
   };

export type DnsChangesQueryVariables = Exact<{
  domain: Scalars['String']['input'];
}>;


export type DnsChangesQuery = { __typename?: 'Query', dnsChanges: Array<{ __typename?: 'DnsChange', id: string, domain: string, provider: DnsProviderName, recordType: DnsRecordType, createdAt: string, applied: boolean, revertOf?: string | null, changes: Array<{ __typename?: 'DnsRecordChange', action: DnsChangeAction, type: string, name: string, content: string, ttl: number, previous?: string | null }> }> };

export type RevertDnsChangeMutationVariables = Exact<{
  input: RevertDnsChangeInput;
}>;


export type RevertDnsChangeMutation = { __typename?: 'Mutation', revertDnsChange:
    | { __typename: 'DnsError', code: number, message: string }
    | { __typename: 'RevertDnsChangeSuccess', success: boolean, changes: Array<{ __typename?: 'DnsRecordChange', action: DnsChangeAction, type: string, name: string, content: string, ttl: number, previous?: string | null }> }
   };


export const DnsProviderDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DnsProvider"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"domain"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"dnsProvider"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"domain"},"value":{"kind":"Variable","name":{"kind":"Name","value":"domain"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsProviderDetection"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"supported"}},{"kind":"Field","name":{"kind":"Name","value":"nameservers"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<DnsProviderQuery, DnsProviderQueryVariables>;
export const AuthorizeDnsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AuthorizeDns"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AuthorizeDnsInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"authorizeDns"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"AuthorizeDnsSuccess"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"success"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<AuthorizeDnsMutation, AuthorizeDnsMutationVariables>;
export const SetDnsRecordsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetDnsRecords"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SetDnsRecordsInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setDnsRecords"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SetDnsRecordsSuccess"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"success"}},{"kind":"Field","name":{"kind":"Name","value":"applied"}},{"kind":"Field","name":{"kind":"Name","value":"changes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"content"}},{"kind":"Field","name":{"kind":"Name","value":"ttl"}},{"kind":"Field","name":{"kind":"Name","value":"previous"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<SetDnsRecordsMutation, SetDnsRecordsMutationVariables>;
export const DnsChangesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DnsChanges"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"domain"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"dnsChanges"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"domain"},"value":{"kind":"Variable","name":{"kind":"Name","value":"domain"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"domain"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"recordType"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"applied"}},{"kind":"Field","name":{"kind":"Name","value":"revertOf"}},{"kind":"Field","name":{"kind":"Name","value":"changes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"content"}},{"kind":"Field","name":{"kind":"Name","value":"ttl"}},{"kind":"Field","name":{"kind":"Name","value":"previous"}}]}}]}}]}}]} as unknown as DocumentNode<DnsChangesQuery, DnsChangesQueryVariables>;
export const RevertDnsChangeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RevertDnsChange"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RevertDnsChangeInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revertDnsChange"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RevertDnsChangeSuccess"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"success"}},{"kind":"Field","name":{"kind":"Name","value":"changes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"content"}},{"kind":"Field","name":{"kind":"Name","value":"ttl"}},{"kind":"Field","name":{"kind":"Name","value":"previous"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DnsError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<RevertDnsChangeMutation, RevertDnsChangeMutationVariables>;