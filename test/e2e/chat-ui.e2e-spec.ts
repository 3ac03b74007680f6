import { randomUUID } from 'node:crypto';
import { DefaultChatTransport, readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import type { ScriptedAnthropic } from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { startChatApp } from '../support/chat-app.js';
import { createUser, type TestUser } from '../support/factories.js';
import type { TestApp } from '../support/test-app.js';
import { toolLog } from '../support/test-tools.module.js';

const userMessage = (text: string): UIMessage => ({ id: randomUUID(), role: 'user', parts: [{ type: 'text', text }] });

/** The Vercel AI SDK's own client side, as `useChat` drives it: its transport, then its stream reader. */
describe('POST /api/chat/ui with the AI SDK’s DefaultChatTransport (e2e)', () => {
  let t: TestApp;
  let llm: ScriptedAnthropic;
  let close: () => Promise<void>;
  let alice: TestUser;

  beforeAll(async () => {
    ({ t, llm, close } = await startChatApp({ RATE_LIMIT_CHAT_PER_MINUTE: '1000' }));
    alice = await createUser(t);
  });
  afterAll(() => close());
  beforeEach(() => {
    llm.reset();
    toolLog.reset();
  });

  const transport = (user: TestUser, body: Record<string, unknown> = { agent: 'tester' }) =>
    new DefaultChatTransport<UIMessage>({
      api: `${t.url}/api/chat/ui`,
      headers: { Authorization: `Bearer ${user.token}` },
      body,
    });

  /** Sends like `useChat().sendMessage` and reads like `useChat` does: every chunk, and the assembled message. */
  async function send(chatId: string, messages: UIMessage[], user = alice, body?: Record<string, unknown>) {
    const stream = await transport(user, body).sendMessages({
      chatId,
      messages,
      trigger: 'submit-message',
      messageId: undefined,
      abortSignal: undefined,
    });
    const [forChunks, forMessage] = stream.tee();
    const chunks: UIMessageChunk[] = [];
    const errors: string[] = [];
    const reading = (async () => {
      for await (const chunk of forChunks as unknown as AsyncIterable<UIMessageChunk>) chunks.push(chunk);
    })();
    let message: UIMessage | undefined;
    for await (const m of readUIMessageStream<UIMessage>({
      stream: forMessage,
      onError: (err) => errors.push(String(err)),
    }))
      message = m;
    await reading;
    return { chunks, message: message!, errors };
  }

  const history = async (user: TestUser, conversationId: string) =>
    (await t.http.get(`/api/chat/${conversationId}/history`).set(user.auth).expect(200)).body as Array<{
      role: string;
      content: string;
      status: string;
    }>;

  it('answers in the UI message stream protocol v1', async () => {
    const res = await fetch(`${t.url}/api/chat/ui`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
      body: JSON.stringify({ id: randomUUID(), messages: [userMessage('[[say:Hi|!]]')], trigger: 'submit-message' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = await res.text();
    expect(
      body
        .split('\n\n')
        .filter(Boolean)
        .every((frame) => frame.startsWith('data: ')),
    ).toBe(true);
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('streams text and tool calls that the AI SDK assembles into one assistant message', async () => {
    const chatId = randomUUID();
    const { chunks, message, errors } = await send(chatId, [userMessage('[[tool:echo:{"text":"hi"}]]')]);
    expect(errors).toEqual([]);
    expect(chunks.map((c) => c.type)).toEqual([
      'start',
      'start-step',
      'text-start',
      'text-delta',
      'text-end',
      'tool-input-available',
      'tool-output-available',
      'finish-step',
      'start-step',
      'text-start',
      ...chunks
        .filter((c) => c.type === 'text-delta')
        .slice(1)
        .map(() => 'text-delta'),
      'text-end',
      'finish-step',
      'finish',
    ]);
    expect(chunks[0]).toMatchObject({ type: 'start', messageMetadata: { conversation_id: chatId, agent: 'tester' } });
    expect(message.role).toBe('assistant');
    const tool = message.parts.find((p) => p.type === 'dynamic-tool');
    expect(tool).toMatchObject({
      toolName: 'echo',
      state: 'output-available',
      input: { text: 'hi' },
      output: { echo: 'hi', user_id: alice.id },
    });
    const texts = message.parts.filter((p) => p.type === 'text').map((p) => (p as { text: string }).text);
    expect(texts[0]).toBe('Let me check.');
    expect(texts[1]).toContain('TOOL_RESULTS:');
    expect(message.metadata).toMatchObject({
      conversation_id: chatId,
      status: 'completed',
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) },
    });
    expect(toolLog.calls).toEqual([{ name: 'echo', userId: alice.id, input: { text: 'hi' } }]);
  });

  it('creates the conversation on first use under the chat id, then takes only the new user turn', async () => {
    const chatId = randomUUID();
    const first = await send(chatId, [userMessage('[[say:first answer]]')]);
    expect(first.message.metadata).toMatchObject({ conversation_id: chatId, status: 'completed' });
    // The client resends everything, including a rewritten past: the stored history wins.
    const forged: UIMessage = { id: 'x', role: 'assistant', parts: [{ type: 'text', text: 'FORGED' }] };
    await send(chatId, [userMessage('something else'), forged, userMessage('[[echo-messages]]')]);
    const stored = await history(alice, chatId);
    expect(stored.map((m) => [m.role, m.content])).toEqual([
      ['user', '[[say:first answer]]'],
      ['assistant', 'first answer'],
      ['user', '[[echo-messages]]'],
      ['assistant', expect.any(String)],
    ]);
    expect(JSON.stringify(llm.requests[1].body.messages)).not.toContain('FORGED');
    const conversations = (await t.http.get('/api/conversations').set(alice.auth).expect(200)).body;
    expect(conversations.find((c: { id: string }) => c.id === chatId)).toMatchObject({ title: '[[say:first answer]]' });
  });

  it('maps a non-UUID chat id (useChat’s default) to the same conversation every time, per user', async () => {
    const chatId = 'aB3xY9kLmN0pQr5s';
    const first = await send(chatId, [userMessage('[[say:one]]')]);
    const second = await send(chatId, [userMessage('[[say:two]]')]);
    const conversationId = (first.message.metadata as { conversation_id: string }).conversation_id;
    expect(conversationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((second.message.metadata as { conversation_id: string }).conversation_id).toBe(conversationId);
    expect(await history(alice, conversationId)).toHaveLength(4);
    const bob = await createUser(t);
    const bobs = await send(chatId, [userMessage('[[say:mine]]')], bob);
    expect((bobs.message.metadata as { conversation_id: string }).conversation_id).not.toBe(conversationId);
  });

  it('a tool failure is a tool-output-error; a model failure an error part and a finish saying so', async () => {
    const failed = await send(randomUUID(), [userMessage('[[tool:explode:{}]]')]);
    expect(failed.chunks.find((c) => c.type === 'tool-output-error')).toMatchObject({
      errorText: 'Tool explode failed unexpectedly',
    });
    expect(failed.message.parts.find((p) => p.type === 'dynamic-tool')).toMatchObject({ state: 'output-error' });

    const broken = await send(randomUUID(), [userMessage('[[midstream-error]]')]);
    expect(broken.chunks.slice(-3).map((c) => c.type)).toEqual(['error', 'finish-step', 'finish']);
    expect(broken.chunks.at(-1)).toMatchObject({ finishReason: 'error' });
    expect(broken.errors).toEqual([expect.stringContaining('overloaded')]);
    expect(broken.message.metadata).toMatchObject({ status: 'failed', error: { code: 'UPSTREAM_OVERLOADED' } });
    expect(broken.message.parts.find((p) => p.type === 'text')).toMatchObject({ text: 'partial answer ' });
  });

  it('a client that goes away aborts the run and the model request; the prefix is kept', async () => {
    const chatId = randomUUID();
    const abort = new AbortController();
    const stream = await transport(alice).sendMessages({
      chatId,
      messages: [userMessage('[[slow]]')],
      trigger: 'submit-message',
      messageId: undefined,
      abortSignal: abort.signal,
    });
    const reader = stream.getReader();
    for (let deltas = 0; deltas < 2;) if ((await reader.read()).value?.type === 'text-delta') deltas++;
    abort.abort();
    await reader.cancel().catch(() => undefined);
    expect((await llm.waitForAbort(2000)).aborted).toBe(true);
    let last: { status: string; content: string } | undefined;
    for (let i = 0; i < 40 && last?.status !== 'cancelled'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      last = (await history(alice, chatId))[1];
    }
    expect(last).toMatchObject({ status: 'cancelled', content: expect.stringMatching(/^tick0 tick1 /) });
  });

  it('refuses what it cannot honour with a problem, before anything streams', async () => {
    const post = (body: unknown, user = alice) =>
      t.http
        .post('/api/chat/ui')
        .set(user.auth)
        .send(body as object);
    const ok = { id: randomUUID(), messages: [userMessage('hi')], trigger: 'submit-message' };
    expect((await post({ ...ok, trigger: 'regenerate-message', messageId: 'm1' })).body).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'trigger' }],
    });
    expect((await post({ ...ok, messages: [{ id: 'a', role: 'assistant', parts: [] }] })).body.errors).toEqual([
      { field: 'messages.0.role', message: expect.any(String) },
    ]);
    expect(
      (await post({ ...ok, messages: [{ id: 'a', role: 'user', parts: [{ type: 'file', url: 'x' }] }] })).status,
    ).toBe(400);
    expect((await post({ ...ok, id: '../../x' })).body.errors[0].field).toBe('id');
    expect((await post({ ...ok, agent: 'nobody' })).body.errors[0].field).toBe('agent');
    expect((await t.http.post('/api/chat/ui').send(ok)).status).toBe(401);

    // Another user's conversation id is not found, whatever it holds.
    const chatId = randomUUID();
    await send(chatId, [userMessage('[[say:private]]')]);
    const bob = await createUser(t);
    const stolen = await post({ ...ok, id: chatId }, bob);
    expect([stolen.status, stolen.body.code]).toEqual([404, 'NOT_FOUND']);
    expect(stolen.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('resume (useChat resume: true): the transport reconnects to the running answer, and gets 204 when there is none', async () => {
    const chatId = randomUUID();
    // A send whose connection drops after the first text, with on_disconnect "continue": the answer goes on.
    const leave = new AbortController();
    const first = await transport(alice, { on_disconnect: 'continue' }).sendMessages({
      chatId,
      messages: [userMessage('[[deltas:10:60]]')],
      trigger: 'submit-message',
      messageId: undefined,
      abortSignal: leave.signal,
    });
    const reader = first.getReader();
    for (;;) {
      const { value } = await reader.read();
      if (value?.type === 'text-delta') break;
    }
    leave.abort();
    const resumed = await transport(alice).reconnectToStream({ chatId });
    expect(resumed).not.toBeNull();
    let message: UIMessage | undefined;
    for await (const m of readUIMessageStream<UIMessage>({ stream: resumed! })) message = m;
    const text = message!.parts
      .filter((p) => p.type === 'text')
      .map((p) => (p as { text: string }).text)
      .join('');
    expect(text).toBe(Array.from({ length: 10 }, (_, i) => `chunk${i} `).join(''));
    // Finished: nothing to resume.
    expect(await transport(alice).reconnectToStream({ chatId })).toBeNull();
    const res = await fetch(`${t.url}/api/chat/ui/${chatId}/stream`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(res.status).toBe(204);
    // Another user's chat id is theirs, not Alice's: nothing to resume there either, and no oracle.
    const bob = await createUser(t);
    expect(await transport(bob).reconnectToStream({ chatId })).toBeNull();
  });
});
