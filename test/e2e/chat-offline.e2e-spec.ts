import { createUser } from '../support/factories.js';
import { streamChat } from '../support/sse.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('Chat with the offline provider, end to end (no key, no network)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('searches the caller’s documents for the last message and streams the best passages with titles', async () => {
    const alice = await createUser(t);
    const bob = await createUser(t);
    await t.http
      .post('/api/documents')
      .set(alice.auth)
      .send({
        title: 'VPN handbook',
        content: '# Access\n\nTo request VPN access, open a ticket in the IT portal and choose "Remote access".',
      })
      .expect(201);
    await t.http
      .post('/api/documents')
      .set(bob.auth)
      .send({ title: 'Bob secret notes', content: 'VPN access for Bob uses the hidden backdoor procedure.' })
      .expect(201);

    const ready = (await t.http.get('/ready').expect(200)).body;
    expect(ready.llm_provider).toBe('offline');

    const res = await streamChat(t.url, alice.token, {
      messages: [{ role: 'user', content: 'How do I request VPN access?' }],
    });
    const types = res.events.map((e) => e.event);
    expect(types).toEqual(
      expect.arrayContaining(['run_started', 'tool_call', 'tool_result', 'text_delta', 'usage', 'run_finished']),
    );
    const call = res.events.find((e) => e.event === 'tool_call')!.json!;
    expect(call).toMatchObject({ name: 'search_documents', input: { query: 'request or VPN or access' } });
    const text = res.events
      .filter((e) => e.event === 'text_delta')
      .map((e) => e.json!.text)
      .join('');
    expect(text).toMatch(/^Offline mode: no language model is configured/);
    expect(text).toContain('VPN handbook');
    expect(text).toContain('open a ticket in the IT portal');
    expect(text).not.toMatch(/Bob|backdoor/);
    expect(res.events.at(-1)!.json).toEqual({ type: 'run_finished', status: 'completed', stop_reason: 'end_turn' });

    const history = (
      await t.http.get(`/api/chat/${res.events[0].json!.conversation_id}/history`).set(alice.auth).expect(200)
    ).body;
    expect(history[1]).toMatchObject({ role: 'assistant', status: 'completed', content: text });
    expect(history[1].tool_calls[0]).toMatchObject({ name: 'search_documents', result: { total: expect.any(Number) } });
  });

  it('says so when nothing matches, instead of making something up', async () => {
    const carol = await createUser(t);
    const res = await t.http
      .post('/api/chat')
      .set(carol.auth)
      .send({ messages: [{ role: 'user', content: 'quantum chromodynamics' }], stream: false })
      .expect(200);
    expect(res.body.status).toBe('completed');
    expect(res.body.message.content).toMatch(/No passages in your documents match/);
  });
});
