import type { ToolContext } from '../../src/agents/tools/tool-context.js';
import { SearchDocumentsTool } from '../../src/documents/search-documents.tool.js';
import { createDocument, search, uploadFile, type DocumentBody } from '../fixtures/documents/documents.factory.js';
import { createUser, type TestUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const context = (userId: string): ToolContext => ({
  userId,
  runId: 'run-1',
  conversationId: 'conversation-1',
  signal: new AbortController().signal,
});

describe('Documents: one user never sees another user’s documents (e2e)', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let aliceDoc: DocumentBody;
  let tool: SearchDocumentsTool;

  beforeAll(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    bob = await createUser(t);
    aliceDoc = await createDocument(t, alice, 'Alice’s secret recipe uses saffron and cardamom.', 'Alice recipe');
    await createDocument(t, bob, 'Bob keeps notes about cardamom prices.', 'Bob notes');
    tool = t.app.get(SearchDocumentsTool);
  });
  afterAll(() => t.close());

  it('list shows only the caller’s documents', async () => {
    const bobs: DocumentBody[] = (await t.http.get('/api/documents').set(bob.auth).expect(200)).body;
    expect(bobs.map((d) => d.title)).toEqual(['Bob notes']);
  });

  it('get of another user’s document is 404, exactly like a missing one', async () => {
    const theirs = await t.http.get(`/api/documents/${aliceDoc.id}`).set(bob.auth).expect(404);
    const missing = await t.http.get('/api/documents/00000000-0000-4000-8000-000000000001').set(bob.auth).expect(404);
    expect({ ...theirs.body, instance: '', request_id: '' }).toEqual({ ...missing.body, instance: '', request_id: '' });
  });

  it('delete of another user’s document is 404 and leaves it intact', async () => {
    await t.http.delete(`/api/documents/${aliceDoc.id}`).set(bob.auth).expect(404);
    await t.http.get(`/api/documents/${aliceDoc.id}`).set(alice.auth).expect(200);
    expect((await search(t, alice, 'saffron').expect(200)).body).toHaveLength(1);
  });

  it('search returns only the caller’s passages', async () => {
    expect((await search(t, bob, 'saffron').expect(200)).body).toEqual([]);
    const bobHits = (await search(t, bob, 'cardamom').expect(200)).body;
    expect(bobHits.map((h: { title: string }) => h.title)).toEqual(['Bob notes']);
    const aliceHits = (await search(t, alice, 'cardamom').expect(200)).body;
    expect(aliceHits.map((h: { title: string }) => h.title)).toEqual(['Alice recipe']);
  });

  it('the search_documents tool is scoped by the ToolContext, whatever the input says', async () => {
    expect(await tool.searchDocuments({ query: 'saffron', max_results: 5 }, context(bob.id))).toEqual({
      results: [],
      total: 0,
    });
    const forged = { query: 'saffron', max_results: 5, user_id: alice.id, userId: alice.id } as never;
    expect((await tool.searchDocuments(forged, context(bob.id))).total).toBe(0);
    const own = await tool.searchDocuments({ query: 'saffron', max_results: 5 }, context(alice.id));
    expect(own.results.map((r) => r.document_id)).toEqual([aliceDoc.id]);
  });

  it('de-duplication is per user: the same bytes make two documents for two users', async () => {
    const bytes = Buffer.from('Shared public memo about the holiday schedule.');
    const a = await uploadFile(t, alice, bytes, { filename: 'memo.txt' }).expect(201);
    const b = await uploadFile(t, bob, bytes, { filename: 'memo.txt' }).expect(201);
    expect(a.body.id).not.toBe(b.body.id);
    await t.http.delete(`/api/documents/${b.body.id}`).set(bob.auth).expect(204);
    await t.http.get(`/api/documents/${a.body.id}`).set(alice.auth).expect(200);
    expect((await search(t, alice, 'holiday schedule').expect(200)).body).toHaveLength(1);
  });
});
