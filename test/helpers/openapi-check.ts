/**
 * Holds one recorded HTTP exchange to an OpenAPI 3.1 document: is the request what the document describes (its
 * parameters, body, authentication), and is the reply a documented status, media type, body and headers? Bodies are
 * checked with ajv's JSON Schema 2020-12 validator, the dialect of OpenAPI 3.1 schemas (OAS 3.1 §4.8.24), on the
 * document dereferenced by @readme/openapi-parser.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { dereference } from '@readme/openapi-parser';

/** One request and its reply, as sent and received. */
export interface Exchange {
  readonly label: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  /** The body's media type and its fields (JSON values as sent; form and multipart fields as strings). */
  readonly body?: { readonly type: string; readonly fields: Readonly<Record<string, unknown>> } | { readonly type: string; readonly raw: string };
  readonly status: number;
  readonly replyHeaders: Readonly<Record<string, string | string[] | undefined>>;
  readonly replyText: string;
}

type Schema = Record<string, any>;
type Operation = Record<string, any>;

export interface Verdict {
  /** Problems with the request: empty when the document describes it as well-formed. */
  readonly request: string[];
  /** Problems with the reply: empty when it is documented for this request. */
  readonly reply: string[];
}

export interface OpenApiChecker {
  readonly document: Schema;
  check(exchange: Exchange): Verdict;
  /** Validates `value` against a schema of the dereferenced document; returns ajv's messages. */
  validate(schema: Schema, value: unknown): string[];
}

const essence = (contentType: string | string[] | undefined) => String(contentType ?? '').split(';')[0]!.trim().toLowerCase();

export async function openApiChecker(document: unknown): Promise<OpenApiChecker> {
  const doc = (await dereference(structuredClone(document) as never)) as unknown as Schema;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const compiled = new Map<Schema, ValidateFunction>();
  const validate = (schema: Schema, value: unknown): string[] => {
    let fn = compiled.get(schema);
    if (!fn) compiled.set(schema, (fn = ajv.compile(schema)));
    return fn(value) ? [] : (fn.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`);
  };
  /** Parameters carried by an apiKey security scheme: allowed on every operation that names the scheme. */
  const schemes = (doc.components?.securitySchemes ?? {}) as Record<string, Schema>;
  const credentialParameters = new Set(Object.values(schemes).filter((s) => s.type === 'apiKey').map((s) => s.name as string));

  const check = (x: Exchange): Verdict => {
    const request: string[] = [];
    const reply: string[] = [];
    const op = doc.paths?.[x.path]?.[x.method.toLowerCase()] as Operation | undefined;
    if (!op) return { request: [`no operation ${x.method} ${x.path}`], reply: [`no operation ${x.method} ${x.path}`] };

    // Query parameters: each one documented and valid; every required one present.
    const parameters = (op.parameters ?? []) as Schema[];
    for (const [name, value] of Object.entries(x.query)) {
      const declared = parameters.find((p) => p.in === 'query' && p.name === name);
      if (!declared) {
        if (!credentialParameters.has(name)) request.push(`query parameter ${name} is not documented`);
        continue;
      }
      for (const e of validate(declared.schema, value)) request.push(`query ${name}: ${e}`);
    }
    for (const p of parameters) if (p.required && p.in === 'query' && !(p.name in x.query)) request.push(`required query parameter ${p.name} is missing`);

    // Body: a documented media type, and fields the schema accepts and names.
    let bodyFields: Readonly<Record<string, unknown>> = {};
    if (x.body) {
      const media = op.requestBody?.content?.[essence(x.body.type)] as Schema | undefined;
      if (!media) request.push(`body type ${x.body.type} is not documented`);
      else if ('raw' in x.body) request.push('the body is not a parameter object');
      else {
        bodyFields = x.body.fields;
        for (const e of validate(media.schema, bodyFields)) request.push(`body: ${e}`);
        const named = new Set<string>([...propertyNames(media.schema), ...credentialParameters]);
        for (const name of Object.keys(bodyFields)) if (!named.has(name)) request.push(`body field ${name} is not documented`);
      }
    } else if (op.requestBody?.required) request.push('the body is required');

    // Authentication: one of the operation's security requirements met (an empty requirement: none needed).
    const security = (op.security ?? doc.security ?? []) as Record<string, string[]>[];
    if (security.length > 0 && !security.some((requirement) => Object.keys(requirement).every((name) => presents(name)))) {
      request.push(`no credentials for any of ${security.map((r) => Object.keys(r).join('+') || '(none)').join(', ')}`);
    }
    function presents(name: string): boolean {
      const scheme = schemes[name];
      if (!scheme) return false;
      if (scheme.type === 'http') return /^Bearer \S+$/i.test(x.headers.authorization ?? '');
      return scheme.name in x.query || scheme.name in bodyFields;
    }

    // Reply: a documented status, a documented media type, a body the schema accepts, the required headers.
    const response = op.responses?.[String(x.status)] as Schema | undefined;
    if (!response) {
      reply.push(`status ${x.status} is not documented`);
      return { request, reply };
    }
    const type = essence(x.replyHeaders['content-type']);
    const media = response.content?.[type] as Schema | undefined;
    if (!media) reply.push(`reply type ${type} is not documented for ${x.status}`);
    else if (type === 'application/json') {
      let json: unknown;
      try {
        json = JSON.parse(x.replyText);
      } catch {
        reply.push('the reply is not JSON');
      }
      if (json !== undefined) for (const e of validate(media.schema, json)) reply.push(`reply: ${e}`);
    } else if (media.schema) for (const e of validate(media.schema, x.replyText)) reply.push(`reply: ${e}`);
    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Schema>)) {
      const value = x.replyHeaders[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) reply.push(`header ${name} is missing`);
        continue;
      }
      const typed = header.schema?.type === 'integer' && /^\d+$/.test(String(value)) ? Number(value) : value;
      for (const e of validate(header.schema ?? {}, typed)) reply.push(`header ${name}: ${e}`);
    }
    return { request, reply };
  };

  return { document: doc, check, validate };
}

/** The property names a body schema can carry (every branch of an anyOf/oneOf). */
function propertyNames(schema: Schema): string[] {
  const branches = [schema, ...((schema.anyOf ?? schema.oneOf ?? []) as Schema[])];
  return branches.flatMap((s) => Object.keys(s.properties ?? {}));
}
