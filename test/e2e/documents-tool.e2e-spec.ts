import { z } from 'zod';
import { AGENT_TOOL, type AgentToolOptions } from '../../src/agents/tools/agent-tool.decorator.js';
import type { ToolContext } from '../../src/agents/tools/tool-context.js';
import { ToolError } from '../../src/agents/tools/tool.error.js';
import { SearchDocumentsTool } from '../../src/documents/search-documents.tool.js';
import { createDocument } from '../fixtures/documents/documents.factory.js';
import { createUser, type TestUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('Documents: the search_documents agent tool (e2e, real database)', () => {
  let t: TestApp;
  let user: TestUser;
  let tool: SearchDocumentsTool;
  const ctx = (signal = new AbortController().signal): ToolContext => ({
    userId: user.id,
    runId: 'run-1',
    conversationId: 'conversation-1',
    signal,
  });

  beforeAll(async () => {
    t = await startTestApp();
    user = await createUser(t);
    tool = t.app.get(SearchDocumentsTool);
    for (let i = 0; i < 8; i++) {
      await createDocument(t, user, `Lighthouse keeper log ${i}: the lamp at lighthouse ${i} was cleaned.`, `Log ${i}`);
    }
  });
  afterAll(() => t.close());

  it('is declared with @AgentTool: a name, a description and a described zod schema', () => {
    const options: AgentToolOptions = Reflect.getMetadata(AGENT_TOOL, SearchDocumentsTool.prototype.searchDocuments);
    expect(options.name).toBe('search_documents');
    expect(options.description).toMatch(/documents/);
    const schema = z.toJSONSchema(options.input) as {
      properties: Record<string, Record<string, unknown>>;
      required: string[];
    };
    expect(schema.properties.query).toMatchObject({ type: 'string', minLength: 1, maxLength: 500 });
    expect(schema.properties.max_results).toMatchObject({ type: 'integer', minimum: 1, maximum: 20, default: 5 });
    for (const field of Object.values(schema.properties)) expect(field.description).toEqual(expect.any(String));
    expect(Object.keys(schema.properties).sort()).toEqual(['max_results', 'query']);
  });

  it('returns {results: [{document_id, title, chunk_id, text, score}], total}, best first, 5 by default', async () => {
    const out = await tool.searchDocuments({ query: 'lighthouse lamp' } as never, ctx());
    expect(out.total).toBe(8);
    expect(out.results).toHaveLength(5);
    for (const r of out.results) {
      expect(Object.keys(r).sort()).toEqual(['chunk_id', 'document_id', 'score', 'text', 'title']);
      expect(r.text).toMatch(/^Lighthouse keeper log \d/);
    }
    const scores = out.results.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('honours max_results and reports the full total', async () => {
    const out = await tool.searchDocuments({ query: 'lighthouse', max_results: 2 }, ctx());
    expect(out.results).toHaveLength(2);
    expect(out.total).toBe(8);
    expect(out).not.toHaveProperty('total_is_lower_bound'); // exact: far fewer matches than RANKED_CANDIDATES_CAP
  });

  it('gives the same passages as the HTTP search', async () => {
    const out = await tool.searchDocuments({ query: 'lamp cleaned', max_results: 3 }, ctx());
    const http = (await t.http.get('/api/documents/search').set(user.auth).query({ q: 'lamp cleaned', limit: 3 })).body;
    expect(out.results.map((r) => r.chunk_id)).toEqual(http.map((h: { chunk_id: string }) => h.chunk_id));
  });

  it.each([
    ['an empty query', { query: '   ', max_results: 5 }],
    ['a query over 500 characters', { query: 'x'.repeat(501), max_results: 5 }],
    ['max_results over 20', { query: 'lamp', max_results: 21 }],
    ['a fractional max_results', { query: 'lamp', max_results: 2.5 }],
  ])('reports %s as INVALID_INPUT data, not a crash', async (_, input) => {
    const err = await tool.searchDocuments(input, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect(err).toMatchObject({ code: 'INVALID_INPUT', recoverable: true });
  });

  it('does not run when the call was already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled by the user'));
    await expect(tool.searchDocuments({ query: 'lamp', max_results: 1 }, ctx(controller.signal))).rejects.toThrow(
      'cancelled by the user',
    );
  });
});
