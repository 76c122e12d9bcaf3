/**
 * The OpenAPI 3.1 description of the REST transports (`/api/v1/<command>` and `/api.php`), generated from what the
 * code itself runs, so that nothing is written twice:
 * - the command list is the router (src/procedures/router.ts);
 * - each command's parameters are the fields of the zod input its procedure validates with, each shown as the wire
 *   schema that field's transform checks values with (src/procedures/inputs.ts), under the REST parameter names the
 *   handler reads (`INPUT_PARAMETERS`);
 * - each success body is the zod `reply` beside the code that builds it (src/rest/commands.ts);
 * - each error response is the catalogue (src/errors.ts): the entries a command's input, middleware, handler and
 *   this transport may throw, grouped by the HTTP status the catalogue gives them;
 * - authentication is read from the middleware: a command behind `authenticate` takes any of the three ways.
 *
 * Loaded on first use (src/rest/api-docs.ts), never at start-up: zod-openapi is only needed here.
 */
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { ERROR_CATALOGUE, type ErrorKey } from '../errors.js';
import { commandInputs, inputFields } from '../procedures/inputs.js';
import { authenticate } from '../procedures/middleware/authenticate.js';
import { rateLimit } from '../procedures/middleware/rate-limit.js';
import type { Procedure } from '../procedures/procedure.js';
import { router } from '../procedures/router.js';
import { REPLY_COMPONENTS, REST_COMMANDS, type RestCommand } from './commands.js';
import { CALLER_PARAMETERS, INPUT_PARAMETERS, LEGACY_PATH, TRANSPORT_ERRORS, V1_PREFIX } from './handler.js';

export type OpenApiDocument = ReturnType<typeof createDocument>;

/** What the description is generated from; tests pass a changed router or table to see the document follow. */
export interface OpenApiSources {
  readonly router: Readonly<Record<string, Procedure<any, any>>>;
  readonly commands: Readonly<Record<string, RestCommand<any>>>;
  readonly parameters: Readonly<Record<string, readonly string[]>>;
}

const DEFAULT_SOURCES: OpenApiSources = { router, commands: REST_COMMANDS, parameters: INPUT_PARAMETERS };

/** The security scheme names, one per way to authenticate. */
export const SECURITY_SCHEMES = {
  Bearer: 'Bearer',
  APIKey: CALLER_PARAMETERS.apiKey[0],
  SessionID: CALLER_PARAMETERS.sessionId[0],
} as const;

const BODY_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'] as const;

/** One input field as a REST parameter. */
interface Parameter {
  readonly field: string;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly wire: z.ZodType;
  readonly required: boolean;
}

/** Everything the description says about one command, gathered from the code. */
interface CommandFacts {
  readonly name: string;
  readonly rest: RestCommand<unknown>;
  readonly parameters: readonly Parameter[];
  /** A sentence on requirements across fields (which credentials a provider needs), if any. */
  readonly rule: string | undefined;
  readonly authenticated: boolean;
  readonly rateLimited: boolean;
  readonly errors: readonly ErrorKey[];
}

function commandFacts(name: string, sources: OpenApiSources): CommandFacts {
  const procedure = sources.router[name]!;
  const rest = sources.commands[name];
  if (!rest) throw new Error(`command ${name} has no REST reply (add it to REST_COMMANDS in src/rest/commands.ts)`);
  const input = commandInputs.get(procedure.input);
  if (!input) throw new Error(`command ${name}: its input is not built with commandInput, so its fields cannot be described`);
  const parameters = Object.entries(input.shape).map(([field, schema]): Parameter => {
    const names = sources.parameters[field];
    if (!names?.[0]) throw new Error(`command ${name}: input field ${field} has no REST parameter name (INPUT_PARAMETERS in src/rest/handler.ts)`);
    const described = inputFields.get(schema);
    if (!described) throw new Error(`command ${name}: input field ${field} has no wire schema`);
    // Required = the procedure refuses the input without it: asked of the field itself, not written down again.
    return { field, name: names[0], aliases: names.slice(1), wire: described.wire, required: !schema.safeParse(undefined).success };
  });
  const errors = new Set<ErrorKey>([
    ...TRANSPORT_ERRORS,
    ...procedure.middleware.flatMap((m) => m.errors),
    ...Object.values(input.shape).flatMap((field) => inputFields.get(field)?.errors ?? []),
    ...(input.check?.errors ?? []),
    ...procedure.errors,
  ]);
  return {
    name,
    rest,
    parameters,
    rule: input.check?.description,
    authenticated: procedure.middleware.includes(authenticate),
    rateLimited: procedure.middleware.includes(rateLimit),
    errors: [...errors].sort((a, b) => ERROR_CATALOGUE[a].code - ERROR_CATALOGUE[b].code || a.localeCompare(b)),
  };
}

/** The field's wire schema, with the names it is also accepted under added to its description. */
function parameterSchema(p: Parameter): z.ZodType {
  const aliases = p.aliases.length > 0 ? ` Also accepted as ${p.aliases.map((a) => `\`${a}\``).join(', ')}.` : '';
  const description = `${p.wire.meta()?.description ?? ''}${aliases}`.trim();
  const schema = description ? p.wire.meta({ description }) : p.wire;
  return p.required ? schema : schema.optional();
}

/**
 * Named schemas for `components`: zod-openapi writes a `$ref` wherever it meets one of these objects. Registered here
 * rather than with `.meta({ id })`, which would claim the name in zod's global registry once and for all.
 */
type Components = Map<string, z.ZodType>;

/** `dns.set` → `DnsSet`: a component name prefix. */
const typeName = (command: string) => command.split(/[^A-Za-z0-9]+/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

function named<Schema extends z.ZodType>(components: Components, name: string, schema: Schema): Schema {
  if (components.has(name)) throw new Error(`two schemas named ${name}`);
  components.set(name, schema);
  return schema;
}

function parametersObject(parameters: readonly Parameter[], extra: Record<string, z.ZodType> = {}) {
  return z.object({ ...Object.fromEntries(parameters.map((p) => [p.name, parameterSchema(p)])), ...extra });
}

const codeList = (keys: readonly ErrorKey[]) => [...new Set(keys.map((k) => ERROR_CATALOGUE[k].code))];

const errorLines = (keys: readonly ErrorKey[]) => keys.map((k) => `- \`${ERROR_CATALOGUE[k].code}\` ${ERROR_CATALOGUE[k].message}`).join('\n');

/** `{"Errors":[{"Code":n,"Message":"…"}]}`, with only the codes this status can carry for this command. */
function v1ErrorBody(keys: readonly ErrorKey[], status: number) {
  const codes = codeList(keys) as [number, ...number[]];
  const item = z.object({
    Code: z.literal(codes),
    Message: z.string().meta({ description: 'The catalogue message, with the reason after a colon where there is one.' }),
  });
  return z.object({
    Errors: z.array(item).min(1).meta({ description: 'Every applicable error, in code order; the first decides the status.' }),
    ...(status === 429 ? { RetryAfter: z.int().min(0).meta({ description: 'Seconds until a retry is served (also `Retry-After`).' }) } : {}),
    ...(status === 500 ? { RequestID: REQUEST_ID_FIELD } : {}),
  });
}

/** Our own failures (HTTP 500, and their `/api.php` form) name the request. */
const REQUEST_ID_FIELD = z.string().meta({ description: 'The request\'s id (also `X-Request-Id`): quote it when reporting the failure.' });

const seconds = () => z.int().min(0);

/** Response headers, each once in `components.headers`. */
const HEADERS = {
  'RateLimit-Limit': seconds().meta({ description: "The caller's budget per window (`RATE_LIMIT_MAX`)." }),
  'RateLimit-Remaining': seconds().meta({ description: 'Requests left in the window.' }),
  'RateLimit-Reset': seconds().meta({ description: 'Seconds until a request is freed.' }),
  'Retry-After': seconds().meta({ description: 'Seconds to wait before a retry is served (RFC 9110 §10.2.3).' }),
  Connection: z.literal('close').meta({ description: 'The unread body ends the connection.' }),
  'X-Request-Id': z.string().meta({
    description: "The request's id: the caller's own `X-Request-Id` when it is 1–128 of `A-Z a-z 0-9 . _ : @ / + = -`, else a fresh UUID. On every reply, and on every log line of the request.",
  }),
};

/** The caller's optional `X-Request-Id`, on every operation. */
const REQUEST_ID_PARAMETER = z.object({
  'X-Request-Id': z.string().optional().meta({ description: "Your id for the request (1–128 of `A-Z a-z 0-9 . _ : @ / + = -`), answered in `X-Request-Id` and put on the server's log lines; anything else is replaced by a fresh one." }),
});

/** The rate-limit headers: on every reply once the budget was drawn (success always; errors from the limit on). */
const rateLimitHeaders = (required: boolean) => {
  const pick = (name: 'RateLimit-Limit' | 'RateLimit-Remaining' | 'RateLimit-Reset') => (required ? HEADERS[name] : HEADERS[name].optional());
  return { 'RateLimit-Limit': pick('RateLimit-Limit'), 'RateLimit-Remaining': pick('RateLimit-Remaining'), 'RateLimit-Reset': pick('RateLimit-Reset') };
};

function errorHeaders(status: number, rateLimited: boolean) {
  const headers: Record<string, z.ZodType> = { 'X-Request-Id': HEADERS['X-Request-Id'], ...(rateLimited ? rateLimitHeaders(false) : {}) };
  if (status === 429) headers['Retry-After'] = HEADERS['Retry-After'];
  if (status === 413) headers['Connection'] = HEADERS.Connection;
  return z.object(headers);
}

function v1Responses(facts: CommandFacts, components: Components): ZodOpenApiResponsesObject {
  const prefix = typeName(facts.name);
  const responses: ZodOpenApiResponsesObject = {
    '200': {
      description: 'Success.',
      headers: z.object({ 'X-Request-Id': HEADERS['X-Request-Id'], ...(facts.rateLimited ? rateLimitHeaders(true) : {}) }),
      content: { 'application/json': { schema: named(components, `${prefix}Reply`, facts.rest.reply) } },
    },
  };
  const byStatus = new Map<number, ErrorKey[]>();
  for (const key of facts.errors) byStatus.set(ERROR_CATALOGUE[key].httpStatus, [...(byStatus.get(ERROR_CATALOGUE[key].httpStatus) ?? []), key]);
  for (const [status, keys] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers = errorHeaders(status, facts.rateLimited);
    responses[`${status}` as `${1 | 2 | 3 | 4 | 5}${string}`] = {
      description: errorLines(keys),
      headers,
      content: { 'application/json': { schema: named(components, `${prefix}Error${status}`, v1ErrorBody(keys, status)) } },
    };
  }
  return responses;
}

function security(authenticated: boolean): Record<string, string[]>[] {
  return authenticated ? Object.values(SECURITY_SCHEMES).map((scheme) => ({ [scheme]: [] })) : [];
}

function v1Operations(facts: CommandFacts, components: Components): { get: ZodOpenApiOperationObject; post: ZodOpenApiOperationObject } {
  const rule = facts.rule ? `\n\n${facts.rule}` : '';
  const common = {
    tags: [facts.name],
    security: security(facts.authenticated),
    responses: v1Responses(facts, components),
  };
  const body = named(components, `${typeName(facts.name)}Parameters`, parametersObject(facts.parameters, {
    Command: z.literal(facts.name).optional().meta({ description: 'Optional; when present it must name this command (any case), or the request is refused with 100003.' }),
  }));
  return {
    get: {
      ...common,
      operationId: `get-${facts.name}`,
      summary: `${facts.rest.summary} (GET)`,
      description: `${facts.rest.description}${rule}\n\nThe same command as the POST, with the parameters in the query string.`,
      requestParams: { query: parametersObject(facts.parameters), header: REQUEST_ID_PARAMETER },
    },
    post: {
      ...common,
      operationId: `post-${facts.name}`,
      summary: facts.rest.summary,
      description: `${facts.rest.description}${rule}\n\nParameters may also be sent in the query string; a body value wins.`,
      requestParams: { header: REQUEST_ID_PARAMETER },
      requestBody: { required: false, content: Object.fromEntries(BODY_TYPES.map((type) => [type, { schema: body }])) },
    },
  };
}

// ---- /api.php --------------------------------------------------------------------------------------------------

const legacySuccessEnvelope = { Success: z.literal(true), ErrorCode: z.literal(0), ErrorText: z.literal('') };

function legacyErrorBody(keys: readonly ErrorKey[], hard: boolean) {
  const codes = codeList(keys) as [number, ...number[]];
  const code = z.literal(codes);
  return z.object({
    Success: z.literal(false),
    // Handler errors carry arrays; a hard failure with a single error carries scalars, as the platform's example does.
    ErrorCode: hard ? z.union([code, z.array(code)]) : z.array(code),
    ErrorText: hard ? z.union([z.string(), z.array(z.string())]) : z.array(z.string()),
    Errors: z.array(z.object({ Code: code, Message: z.string() })).min(1),
    ...(keys.some((k) => ERROR_CATALOGUE[k].httpStatus === 429) ? { RetryAfter: z.int().min(0).optional() } : {}),
    ...(keys.some((k) => ERROR_CATALOGUE[k].httpStatus === 500) ? { RequestID: REQUEST_ID_FIELD.optional() } : {}),
  });
}

const XML_BODY = z.string().meta({
  description:
    'With `ResponseFormat=XML` (exactly that case): the same fields under `<response>`, arrays as `<node_0>`, `<node_1>`… children, scalars as text.',
});

function legacyOperations(all: readonly CommandFacts[], components: Components): { get: ZodOpenApiOperationObject; post: ZodOpenApiOperationObject } {
  const names = all.map((f) => f.name) as [string, ...string[]];
  const command = z.enum(names).meta({ description: 'The command to run (any case).' });
  const responseFormat = z.enum(['JSON', 'XML']).optional().meta({
    description: '`XML` (exactly) answers in XML; any other value, `xml` included, is JSON. Refused JSON bodies (100000) are always answered in JSON.',
  });

  // One parameter per field any command reads, described once with the commands that read it.
  const byName = new Map<string, { parameter: Parameter; commands: string[] }>();
  for (const facts of all) {
    for (const p of facts.parameters) {
      const seen = byName.get(p.name);
      if (seen) seen.commands.push(facts.name);
      else byName.set(p.name, { parameter: p, commands: [facts.name] });
    }
  }
  const queryFields = Object.fromEntries(
    [...byName].map(([name, { parameter, commands }]) => {
      const schema = parameterSchema({ ...parameter, required: true });
      return [name, schema.meta({ description: `${schema.meta()?.description ?? ''} Read by ${commands.join(', ')}.`.trim() }).optional()];
    }),
  );

  const handlerErrors = [...new Set(all.flatMap((f) => f.errors))].filter((k) => !ERROR_CATALOGUE[k].legacyHard);
  const hardErrors = [...new Set(all.flatMap((f) => f.errors))].filter((k) => ERROR_CATALOGUE[k].legacyHard);

  const responses: ZodOpenApiResponsesObject = {
    '200': {
      headers: z.object({ 'X-Request-Id': HEADERS['X-Request-Id'] }),
      description:
        'Success (`Success: true`, `ErrorCode: 0`, `ErrorText: ""`, then the command\'s own fields), or a handler error, also with HTTP 200 as the platform always answered: `Success: false` with the codes and messages as arrays.\n\n' +
        errorLines(handlerErrors),
      content: {
        'application/json': {
          schema: z.union([
            ...all.map((f) => named(components, `${typeName(f.name)}LegacyReply`, z.object({ ...legacySuccessEnvelope, ...f.rest.reply.shape }))),
            named(components, 'LegacyHandlerError', legacyErrorBody(handlerErrors, false)),
          ]),
        },
        'text/xml': { schema: XML_BODY },
      },
    },
  };
  const byStatus = new Map<number, ErrorKey[]>();
  for (const key of hardErrors) byStatus.set(ERROR_CATALOGUE[key].httpStatus, [...(byStatus.get(ERROR_CATALOGUE[key].httpStatus) ?? []), key]);
  for (const [status, keys] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers = errorHeaders(status, false);
    responses[`${status}` as `${1 | 2 | 3 | 4 | 5}${string}`] = {
      description: `Malformed requests and the rate limit keep their own status:\n\n${errorLines(keys)}`,
      headers,
      content: {
        'application/json': { schema: named(components, `LegacyError${status}`, legacyErrorBody(keys, true)) },
        ...(keys.every((k) => k === 'INVALID_JSON') ? {} : { 'text/xml': { schema: XML_BODY } }),
      },
    };
  }

  const description =
    'The platform\'s legacy endpoint: every command, named by `Command`, with the same parameters as `/api/v1/<command>` ' +
    '(which of them a command reads is said on each). Answers carry the legacy fields `Success`, `ErrorCode` and ' +
    '`ErrorText`; handler errors are answered with HTTP 200 and `Success: false`; `ResponseFormat=XML` answers in XML.';
  // Any of the three ways, or none (user.login): `{}` makes authentication optional at this path.
  const legacySecurity = [...security(true), {}];
  const body = z.union(
    all.map((f) =>
      named(
        components,
        `${typeName(f.name)}LegacyParameters`,
        parametersObject(f.parameters, {
          Command: z.literal(f.name).optional().meta({ description: 'In the body or the query string.' }),
          ResponseFormat: responseFormat,
        }),
      ),
    ),
  );
  return {
    get: {
      tags: ['Legacy /api.php'],
      operationId: 'legacy-get',
      summary: 'Any command, legacy envelope (GET)',
      description,
      security: legacySecurity,
      requestParams: { query: z.object({ Command: command, ResponseFormat: responseFormat, ...queryFields }), header: REQUEST_ID_PARAMETER },
      responses,
    },
    post: {
      tags: ['Legacy /api.php'],
      operationId: 'legacy-post',
      summary: 'Any command, legacy envelope',
      description: `${description} \`Command\` and \`ResponseFormat\` may be in the query string or the body.`,
      security: legacySecurity,
      requestParams: { query: z.object({ Command: command.optional(), ResponseFormat: responseFormat }), header: REQUEST_ID_PARAMETER },
      requestBody: { required: true, content: Object.fromEntries(BODY_TYPES.map((type) => [type, { schema: body }])) },
      responses,
    },
  };
}

// ---- the document ------------------------------------------------------------------------------------------------

function errorTable(): string {
  const rows = Object.entries(ERROR_CATALOGUE).map(
    ([, e]) => `| ${e.code} | ${e.message} | ${e.httpStatus} | ${e.legacyHard ? e.httpStatus : 200} |`,
  );
  return ['| code | message | `/api/v1` status | `/api.php` status |', '|---:|---|---:|---:|', ...rows].join('\n');
}

const OVERVIEW = `The DNS gateway's REST API: it publishes a customer's SPF, DKIM and DMARC records through their DNS provider's API, and checks them on the authoritative name servers.

Every command is served as \`GET\` or \`POST /api/v1/<command>\`, and through the legacy \`/api.php?Command=<command>\`. Parameters come from the query string or the body, as JSON, \`application/x-www-form-urlencoded\` or \`multipart/form-data\`; a body value beats a query value of the same name. Values are trimmed, and a blank value counts as missing; where a parameter lists its values, any case is accepted. Parameter names are exact: \`APIKey\` (your key for this service) and \`ApiKey\` (the DNS provider's key) differ only in case and are kept apart.

**Authentication** (every command but \`user.login\`), any one of:
- \`Authorization: Bearer <token>\`: an API key (\`dgk_…\`) or a session id from \`user.login\` (\`dgs_…\`);
- the \`APIKey\` parameter (query string or body);
- the \`SessionID\` parameter (query string or body).

**Errors** on \`/api/v1\` are \`{"Errors":[{"Code":n,"Message":"…"}]}\` with every applicable error in code order, the first deciding the HTTP status. On \`/api.php\`, handler errors are answered with HTTP 200 and \`Success: false\`; malformed requests and the rate limit keep their status. Each operation lists the codes it can answer; the whole catalogue:

${errorTable()}

**Request ids:** every reply carries \`X-Request-Id\` (yours when you send a bounded, printable one, else a fresh UUID); an internal error (HTTP 500, or code 10 on \`/api.php\`) also names it in \`RequestID\`. Quote it when reporting a problem: every log line of the request has it.

**Rate limit:** a budget per API key (per user for sessions) across REST and GraphQL, reported in \`RateLimit-Limit\`, \`RateLimit-Remaining\` and \`RateLimit-Reset\`; past it, 429 with \`Retry-After\`.`;

const isNullOnly = (schema: Record<string, unknown>) => Object.keys(schema).length === 1 && schema.type === 'null';

/** The JSON Schema types of `values`, in a fixed order. */
function jsonTypes(values: readonly unknown[]): ('boolean' | 'integer' | 'number' | 'string' | 'null')[] {
  const types = new Set(values.map((v) => (v === null ? 'null' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v)));
  return (['boolean', 'integer', 'number', 'string', 'null'] as const).filter((t) => types.has(t));
}

/** The OpenAPI 3.1 document for whatever the router holds. Throws, naming it, on a command it cannot describe. */
export function buildOpenApiDocument(sources: OpenApiSources = DEFAULT_SOURCES): OpenApiDocument {
  const all = Object.keys(sources.router).map((name) => commandFacts(name, sources));
  const components: Components = new Map(Object.entries(REPLY_COMPONENTS));
  const paths: ZodOpenApiPathsObject = {};
  for (const facts of all) paths[`${V1_PREFIX}${facts.name}`] = v1Operations(facts, components);
  paths[LEGACY_PATH] = legacyOperations(all, components);
  return createDocument({
    openapi: '3.1.0',
    info: { title: 'DNS gateway REST API', version: '1', description: OVERVIEW },
    servers: [{ url: '/', description: 'This gateway' }],
    tags: [
      ...all.map((f) => ({ name: f.name, description: f.rest.description })),
      { name: 'Legacy /api.php', description: 'Every command through the platform\'s legacy endpoint and envelope.' },
    ],
    paths,
    components: {
      schemas: Object.fromEntries(components),
      headers: HEADERS,
      securitySchemes: {
        [SECURITY_SCHEMES.Bearer]: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key (`dgk_…`, printed on first start or made with `npm run cli -- keys create`) or a session id from `user.login` (`dgs_…`).',
        },
        [SECURITY_SCHEMES.APIKey]: {
          type: 'apiKey',
          in: 'query',
          name: SECURITY_SCHEMES.APIKey,
          description: 'Your API key for this service, as a parameter (the query string or the body). Not `ApiKey`, the DNS provider\'s key.',
        },
        [SECURITY_SCHEMES.SessionID]: {
          type: 'apiKey',
          in: 'query',
          name: SECURITY_SCHEMES.SessionID,
          description: 'A session id from `user.login`, as a parameter (the query string or the body).',
        },
      },
    },
  }, {
    override: ({ jsonSchema }) => {
      // z.int() is emitted with the safe-integer bounds; they say nothing here.
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
      // The reference page (Scalar) refuses a schema without `type`, and `items: false`: a list of values of mixed
      // types gets the types they have, and a tuple is bounded by its minItems/maxItems alone (the same meaning).
      if (Array.isArray(jsonSchema.enum) && jsonSchema.type === undefined) jsonSchema.type = jsonTypes(jsonSchema.enum);
      if (jsonSchema.prefixItems !== undefined && jsonSchema.items === false) delete jsonSchema.items;
      // Nor does it take `anyOf: [X, {type: 'null'}]` (zod's nullable): X's type gains 'null' instead (the same meaning).
      const [first, second, ...more] = (jsonSchema.anyOf ?? []) as Record<string, unknown>[];
      if (first && second && more.length === 0 && isNullOnly(second) && typeof first.type === 'string' && first.$ref === undefined) {
        delete jsonSchema.anyOf;
        Object.assign(jsonSchema, { ...first, ...jsonSchema, type: [first.type, 'null'] });
        if (Array.isArray(first.enum) && !first.enum.includes(null)) jsonSchema.enum = [...first.enum, null];
      }
    },
  });
}
