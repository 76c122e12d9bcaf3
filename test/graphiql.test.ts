/**
 * GraphiQL's first-visit example (src/graphql/graphiql.ts): a document that validates against the served schema,
 * with the headers template, embedded in the page so that GraphiQL opens on them when it has no stored tabs.
 */
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../schema/index.js';
import { EXAMPLE_DOCUMENT, EXAMPLE_HEADERS, renderGraphiqlPage } from '../src/graphql/graphiql.js';

describe('GraphiQL example', () => {
  it('validates against the schema: the DnsProvider query and a dry-run SetDnsRecords on the sandbox', () => {
    const document = parse(EXAMPLE_DOCUMENT);
    expect(validate(schema, document)).toEqual([]);
    const operations = document.definitions.flatMap((d) => (d.kind === 'OperationDefinition' ? [`${d.operation} ${d.name?.value}`] : []));
    expect(operations).toEqual(['query DnsProvider', 'mutation SetDnsRecords']);
    expect(EXAMPLE_DOCUMENT).toMatch(/provider: SANDBOX[^)]*dryRun: true/);
  });

  it('the headers template is JSON with the Authorization header to fill in', () => {
    expect(JSON.parse(EXAMPLE_HEADERS)).toEqual({ Authorization: 'Bearer <paste the key printed on first start>' });
  });

  it('the page hands both to GraphiQL as its defaults, with the headers editor open, and no raw "<" in the script', () => {
    const page = renderGraphiqlPage();
    const config = JSON.parse(/renderYogaGraphiQL\([^,]+, (\{.*\})\);<\/script>/.exec(page)![1]!) as Record<string, unknown>;
    expect(config).toMatchObject({ defaultQuery: EXAMPLE_DOCUMENT, headers: EXAMPLE_HEADERS, defaultEditorToolsVisibility: 'headers' });
    expect(page).not.toContain('<paste');
  });
});
