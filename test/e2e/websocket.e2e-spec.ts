import { WebSocket, type RawData } from 'ws';
import type { ScriptedAnthropic } from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { startChatApp } from '../support/chat-app.js';
import { createUser, type TestUser } from '../support/factories.js';
import type { TestApp } from '../support/test-app.js';

type Frame = Record<string, any>;

/** A real `ws` client: frames as they come, and a wait for the first frame that matches. */
class Client {
  readonly frames: Frame[] = [];
  private waiters: Array<() => void> = [];
  closed?: { code: number; reason: string };

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(url: string, options: { token?: string; protocols?: string[] } = {}): Promise<Client> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws/chat`, options.protocols ?? [], {
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Client(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  async next(match: (f: Frame) => boolean, timeoutMs = 5_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      const found = this.frames.slice(seen).find(match);
      if (found) return found;
      seen = 0;
      if (this.closed) throw new Error(`closed ${JSON.stringify(this.closed)} before a matching frame`);
      if (Date.now() > deadline) throw new Error(`no matching frame; got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Every frame of one run, once its run_finished has arrived. */
  async run(runId: string): Promise<Frame[]> {
    await this.next((f) => f.run_id === runId && f.type === 'run_finished', 10_000);
    return this.frames.filter((f) => f.run_id === runId && f.type !== 'ack');
  }

  close(): void {
    this.ws.close();
  }
}

const text = (frames: Frame[]) =>
  frames
    .filter((f) => f.type === 'text_delta')
    .map((f) => f.text)
    .join('');

describe('WebSocket chat /ws/chat (e2e, real ws client)', () => {
  let t: TestApp;
  let llm: ScriptedAnthropic;
  let close: () => Promise<void>;
  let alice: TestUser;

  beforeAll(async () => {
    ({ t, llm, close } = await startChatApp({ RATE_LIMIT_CHAT_PER_MINUTE: '1000', WS_PING_MS: '200' }));
    alice = await createUser(t);
  });
  afterAll(() => close());
  beforeEach(() => llm.reset());

  it('refuses a handshake without a valid token before the upgrade (401)', async () => {
    await expect(Client.open(t.url)).rejects.toThrow('refused: 401');
    await expect(Client.open(t.url, { token: 'not-a-token' })).rejects.toThrow('refused: 401');
    await expect(Client.open(t.url, { protocols: ['agent-backend.v1', 'bearer.garbage'] })).rejects.toThrow(
      'refused: 401',
    );
  });

  it('a browser authenticates with the subprotocol; the server selects agent-backend.v1', async () => {
    const client = await Client.open(t.url, { protocols: ['agent-backend.v1', `bearer.${alice.token}`] });
    expect(client.ws.protocol).toBe('agent-backend.v1');
    client.send({ type: 'ping' });
    expect(await client.next((f) => f.type === 'pong')).toEqual({ type: 'pong' });
    client.close();
  });

  it('a chat frame is acked, then its events arrive as {type, run_id, id, ...fields}, as over SSE', async () => {
    const client = await Client.open(t.url, { token: alice.token });
    client.send({ type: 'chat', request_id: 'r1', messages: [{ role: 'user', content: '[[say:hello |there]]' }] });
    const ack = await client.next((f) => f.type === 'ack');
    expect(ack).toEqual({
      type: 'ack',
      request_id: 'r1',
      conversation_id: expect.any(String),
      run_id: expect.any(String),
    });
    const frames = await client.run(ack.run_id);
    expect(frames.map((f) => f.type)).toEqual(['run_started', 'text_delta', 'text_delta', 'usage', 'run_finished']);
    expect(frames.map((f) => f.id)).toEqual([1, 2, 3, 4, 5]);
    expect(frames[0]).toEqual({
      type: 'run_started',
      run_id: ack.run_id,
      id: 1,
      conversation_id: ack.conversation_id,
      agent: 'assistant',
      model: 'claude-sonnet-5-5',
    });
    expect(text(frames)).toBe('hello there');
    expect(frames.at(-1)).toMatchObject({ status: 'completed', stop_reason: 'end_turn' });
    client.close();
  });

  it('a malformed, unknown or invalid frame gets an error frame, and the connection goes on', async () => {
    const client = await Client.open(t.url, { token: alice.token });
    client.send('{not json');
    expect(await client.next((f) => f.type === 'error')).toMatchObject({ code: 'VALIDATION_FAILED' });
    client.send({ type: 'dance', request_id: 'q1' });
    expect(await client.next((f) => f.request_id === 'q1')).toMatchObject({ type: 'error', code: 'VALIDATION_FAILED' });
    client.send({ type: 'chat', request_id: 'q2', messages: [] });
    expect(await client.next((f) => f.request_id === 'q2')).toMatchObject({
      type: 'error',
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('messages'),
    });
    client.send({ type: 'chat', request_id: 'q3', messages: [{ role: 'user', content: 'x' }], sneaky: true });
    expect(await client.next((f) => f.request_id === 'q3')).toMatchObject({ code: 'VALIDATION_FAILED' });
    client.send({ type: 'cancel', request_id: 'q4', run_id: '00000000-0000-4000-8000-000000000000' });
    expect(await client.next((f) => f.request_id === 'q4')).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
    client.send({ type: 'ping' });
    await client.next((f) => f.type === 'pong');
    expect(client.closed).toBeUndefined();
    client.close();
  });

  it('a frame over 64 KiB closes the connection with 1009', async () => {
    const client = await Client.open(t.url, { token: alice.token });
    client.send({ type: 'ping', pad: 'x'.repeat(70 * 1024) });
    await expect(client.next(() => false, 3_000)).rejects.toThrow(/closed \{"code":1009/);
  });

  it('a cancel frame stops the run mid-answer: the model request is aborted, the prefix kept', async () => {
    const client = await Client.open(t.url, { token: alice.token });
    client.send({ type: 'chat', messages: [{ role: 'user', content: '[[slow]]' }] });
    const ack = await client.next((f) => f.type === 'ack');
    await client.next((f) => f.run_id === ack.run_id && f.type === 'text_delta' && f.id >= 3);
    client.send({ type: 'cancel', run_id: ack.run_id });
    const frames = await client.run(ack.run_id);
    expect(frames.at(-1)).toMatchObject({ type: 'run_finished', status: 'cancelled' });
    await llm.waitForAbort();
    const history = (await t.http.get(`/api/chat/${ack.conversation_id}/history`).set(alice.auth).expect(200)).body;
    expect(history[1]).toMatchObject({ status: 'cancelled', content: text(frames) });
    client.close();
  });

  it('a context frame reaches the model at the next turn of the same run (after a tool result)', async () => {
    llm.handler = (req) => {
      const body = req.body as {
        messages: Array<{ content: Array<{ type: string }> }>;
        system: Array<{ text: string }>;
      };
      const afterTool = body.messages.at(-1)!.content.some((b) => b.type === 'tool_result');
      if (!afterTool) {
        return {
          kind: 'message',
          blocks: [{ type: 'tool_use', name: 'slow', jsonDeltas: ['{"ms":250}'] }],
          stopReason: 'tool_use',
        };
      }
      const system = body.system.map((b) => b.text).join('\n');
      return {
        kind: 'message',
        blocks: [{ type: 'text', deltas: [system.includes('late-detail-42') ? 'saw it' : 'missed it'] }],
        stopReason: 'end_turn',
      };
    };
    try {
      const client = await Client.open(t.url, { token: alice.token });
      client.send({
        type: 'chat',
        agent: 'tester',
        messages: [{ role: 'user', content: 'x' }],
        context: { page: 'a' },
      });
      const ack = await client.next((f) => f.type === 'ack');
      await client.next((f) => f.run_id === ack.run_id && f.type === 'tool_call');
      client.send({ type: 'context', run_id: ack.run_id, context: { detail: 'late-detail-42' } });
      const frames = await client.run(ack.run_id);
      expect(text(frames)).toBe('saw it');
      const system = (llm.requests.at(-1)!.body as { system: Array<{ text: string }> }).system
        .map((b) => b.text)
        .join('\n');
      expect(system).toContain('"page": "a"');
      client.close();
    } finally {
      llm.handler = undefined;
    }
  });

  it('one connection runs and watches several conversations; subscribe streams runs started elsewhere', async () => {
    const watcher = await Client.open(t.url, { token: alice.token });
    const first = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send({ messages: [{ role: 'user', content: '[[say:a]]' }], stream: false });
    const conversationId = first.body.conversation_id as string;
    watcher.send({ type: 'subscribe', conversation_id: conversationId });
    watcher.send({ type: 'chat', messages: [{ role: 'user', content: '[[say:own]]' }] });
    const own = await watcher.next((f) => f.type === 'ack');
    await new Promise((r) => setTimeout(r, 100));
    const viaHttp = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send({
        conversation_id: conversationId,
        messages: [{ role: 'user', content: '[[say:from http]]' }],
        stream: false,
      });
    expect(text(await watcher.run(viaHttp.body.run_id))).toBe('from http');
    expect(text(await watcher.run(own.run_id))).toBe('own');
    watcher.close();
  });

  it('resume replays a run after an id, with the original ids', async () => {
    const res = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send({ messages: [{ role: 'user', content: '[[say:x|y|z]]' }], stream: false });
    const client = await Client.open(t.url, { token: alice.token });
    client.send({ type: 'resume', run_id: res.body.run_id, after: 2 });
    const frames = await client.run(res.body.run_id);
    expect(frames.map((f) => f.id)).toEqual([3, 4, 5, 6]);
    expect(text(frames)).toBe('yz');
    client.close();
  });

  it('closing the socket cancels the runs it started, unless they asked to continue', async () => {
    const client = await Client.open(t.url, { token: alice.token });
    client.send({ type: 'chat', messages: [{ role: 'user', content: '[[slow]] a' }] });
    client.send({
      type: 'chat',
      messages: [{ role: 'user', content: '[[deltas:8:50]] b' }],
      on_disconnect: 'continue',
    });
    const acks = [
      await client.next((f) => f.type === 'ack'),
      await client.next((f) => f.type === 'ack' && f.run_id !== client.frames.find((x) => x.type === 'ack')!.run_id),
    ];
    await client.next((f) => f.type === 'text_delta');
    client.close();
    const status = async (id: string) => (await t.http.get(`/api/runs/${id}`).set(alice.auth).expect(200)).body.status;
    for (let i = 0; i < 100; i++) {
      if ((await Promise.all(acks.map((a) => status(a.run_id)))).every((s) => s !== 'running')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const byPrompt = Object.fromEntries(
      await Promise.all(
        acks.map(async (a) => {
          const history = (await t.http.get(`/api/chat/${a.conversation_id}/history`).set(alice.auth)).body;
          return [history[0].content.endsWith(' a') ? 'cancel' : 'continue', await status(a.run_id)];
        }),
      ),
    );
    expect(byPrompt).toEqual({ cancel: 'cancelled', continue: 'completed' });
  });

  it('the chat limit counts WebSocket run starts with HTTP ones', async () => {
    const limited = await startChatApp({ RATE_LIMIT_CHAT_PER_MINUTE: '2' });
    try {
      const bob = await createUser(limited.t);
      await limited.t.http
        .post('/api/chat')
        .set(bob.auth)
        .send({ messages: [{ role: 'user', content: 'hi' }], stream: false })
        .expect(200);
      const client = await Client.open(limited.t.url, { token: bob.token });
      client.send({ type: 'chat', request_id: 'second', messages: [{ role: 'user', content: 'hi' }] });
      await client.next((f) => f.type === 'ack' && f.request_id === 'second');
      client.send({ type: 'chat', request_id: 'third', messages: [{ role: 'user', content: 'hi' }] });
      expect(await client.next((f) => f.request_id === 'third' && f.type === 'error')).toMatchObject({
        code: 'RATE_LIMITED',
      });
      await limited.t.http
        .post('/api/chat')
        .set(bob.auth)
        .send({ messages: [{ role: 'user', content: 'hi' }] })
        .expect(429);
      client.close();
    } finally {
      await limited.close();
    }
  });
});
