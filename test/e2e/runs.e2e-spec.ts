import { DataSource } from 'typeorm';
import type { ScriptedAnthropic } from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { startChatApp } from '../support/chat-app.js';
import { createUser, type TestUser } from '../support/factories.js';
import { ask, finishedOf, followRun, type SseEvent, streamChat, textOf } from '../support/sse.js';
import type { TestApp } from '../support/test-app.js';

const idsOf = (events: SseEvent[]) => events.map((e) => Number(e.id));

describe('Runs that outlive the connection (e2e, one instance)', () => {
  let t: TestApp;
  let llm: ScriptedAnthropic;
  let close: () => Promise<void>;
  let alice: TestUser;

  beforeAll(async () => {
    ({ t, llm, close } = await startChatApp({
      RATE_LIMIT_CHAT_PER_MINUTE: '1000',
      SSE_PING_MS: '200',
      RUN_HEARTBEAT_MS: '200',
    }));
    alice = await createUser(t);
  });
  afterAll(() => close());
  beforeEach(() => llm.reset());

  const run = async (u: TestUser, id: string) => (await t.http.get(`/api/runs/${id}`).set(u.auth).expect(200)).body;
  const history = async (u: TestUser, conversationId: string) =>
    (await t.http.get(`/api/chat/${conversationId}/history`).set(u.auth).expect(200)).body;
  const waitForRun = async (
    u: TestUser,
    id: string,
    done: (r: { status: string; last_event_id: number }) => boolean,
  ) => {
    for (let i = 0; i < 400; i++) {
      const r = await run(u, id);
      if (done(r)) return r;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`run ${id} never reached the expected state`);
  };

  it('GET /api/runs/:id describes a finished run, and its events replay with their original ids', async () => {
    const live = await streamChat(t.url, alice.token, ask('[[say:one |two |three]]'));
    const runId = live.events[0].json!.run_id as string;
    expect(await run(alice, runId)).toEqual({
      id: runId,
      conversation_id: live.events[0].json!.conversation_id,
      agent: 'assistant',
      model: 'claude-sonnet-5-5',
      status: 'completed',
      stop_reason: 'end_turn',
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) },
      error: null,
      created_at: expect.any(String),
      started_at: expect.any(String),
      finished_at: expect.any(String),
      last_event_id: live.events.length,
    });
    const replay = await followRun(t.url, alice.token, runId);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(replay.done).toBe(true);
    expect(replay.events.map((e) => [e.id, e.event, e.json])).toEqual(live.events.map((e) => [e.id, e.event, e.json]));

    // Resume after an id: Last-Event-ID (what a browser resends) wins over ?after=.
    const afterTwo = await followRun(t.url, alice.token, runId, { headers: { 'Last-Event-ID': '2' }, after: 4 });
    expect(idsOf(afterTwo.events)).toEqual(idsOf(live.events).slice(2));
    const afterFour = await followRun(t.url, alice.token, runId, { after: 4 });
    expect(idsOf(afterFour.events)).toEqual(idsOf(live.events).slice(4));
    const bad = await t.http.get(`/api/runs/${runId}/events`).set(alice.auth).set('Last-Event-ID', 'x1');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
  });

  it('a dropped stream with on_disconnect "continue" keeps running; resuming with Last-Event-ID has no gap and no duplicate', async () => {
    const seen: SseEvent[] = [];
    const controller = new AbortController();
    await streamChat(t.url, alice.token, ask('[[deltas:12:40]]', { on_disconnect: 'continue' }), {
      signal: controller.signal,
      onEvent: (e) => {
        seen.push(e);
        if (seen.filter((s) => s.event === 'text_delta').length === 3) controller.abort();
      },
    });
    const runId = seen[0].json!.run_id as string;
    const conversationId = seen[0].json!.conversation_id as string;
    expect((await run(alice, runId)).status).toBe('running');
    const last = seen.at(-1)!.id!;
    const rest = await followRun(t.url, alice.token, runId, { headers: { 'Last-Event-ID': last } });
    const all = [...seen, ...rest.events];
    expect(idsOf(all)).toEqual(all.map((_, i) => i + 1));
    expect(finishedOf(rest.events)).toMatchObject({ status: 'completed' });
    // The text put together from both streams is the stored answer, byte for byte.
    const stored = (await history(alice, conversationId))[1];
    expect(textOf(all)).toBe(stored.content);
    expect(stored.content).toBe(Array.from({ length: 12 }, (_, i) => `chunk${i} `).join(''));
  });

  it('background: true answers 202 with the run; the run finishes with no client, and replays', async () => {
    const res = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send(ask('[[deltas:5:20]]', { background: true }))
      .expect(202);
    expect(res.body).toEqual({ conversation_id: expect.any(String), run_id: expect.any(String), status: 'running' });
    expect(res.headers.location).toBe(`/api/runs/${res.body.run_id}`);
    const done = await waitForRun(alice, res.body.run_id, (r) => r.status !== 'running');
    expect(done.status).toBe('completed');
    const replay = await followRun(t.url, alice.token, res.body.run_id);
    expect(textOf(replay.events)).toBe('chunk0 chunk1 chunk2 chunk3 chunk4 ');
  });

  it('POST /api/runs/:id/cancel stops the run within a second, aborts the model request and keeps the prefix', async () => {
    const res = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send(ask('[[slow]]', { background: true }))
      .expect(202);
    const runId = res.body.run_id as string;
    await waitForRun(alice, runId, (r) => r.last_event_id >= 3);
    const started = Date.now();
    const cancel = await t.http.post(`/api/runs/${runId}/cancel`).set(alice.auth).expect(200);
    expect(cancel.body).toEqual({ cancelled: true });
    expect(Date.now() - started).toBeLessThan(1500);
    await llm.waitForAbort();
    const done = await run(alice, runId);
    expect(done).toMatchObject({ status: 'cancelled', stop_reason: 'cancelled' });
    expect((await history(alice, res.body.conversation_id))[1]).toMatchObject({
      status: 'cancelled',
      content: expect.stringMatching(/^tick0 /),
    });
    // Cancelling a finished run changes nothing.
    expect((await t.http.post(`/api/runs/${runId}/cancel`).set(alice.auth).expect(200)).body).toEqual({
      cancelled: false,
    });
  });

  describe('if_busy', () => {
    const startBusy = async () => {
      const res = await t.http
        .post('/api/chat')
        .set(alice.auth)
        .send(ask('[[slow]]', { background: true }))
        .expect(202);
      await waitForRun(alice, res.body.run_id, (r) => r.last_event_id >= 3);
      return res.body as { conversation_id: string; run_id: string };
    };

    it('reject (default) answers 409 CONVERSATION_BUSY and stores nothing', async () => {
      const busy = await startBusy();
      const refused = await t.http
        .post('/api/chat')
        .set(alice.auth)
        .send(ask('again', { conversation_id: busy.conversation_id }))
        .expect(409);
      expect(refused.body.code).toBe('CONVERSATION_BUSY');
      await t.http.post(`/api/runs/${busy.run_id}/cancel`).set(alice.auth).expect(200);
      expect(await history(alice, busy.conversation_id)).toHaveLength(2);
    });

    it('interrupt cancels the active run (prefix kept, stop_reason interrupted) and starts this one', async () => {
      const busy = await startBusy();
      const next = await streamChat(
        t.url,
        alice.token,
        ask('[[say:new answer]]', { conversation_id: busy.conversation_id, if_busy: 'interrupt' }),
      );
      expect(finishedOf(next.events)).toMatchObject({ status: 'completed' });
      expect(await run(alice, busy.run_id)).toMatchObject({ status: 'cancelled', stop_reason: 'interrupted' });
      const messages = await history(alice, busy.conversation_id);
      expect(messages.map((m: { role: string; status: string }) => [m.role, m.status])).toEqual([
        ['user', 'completed'],
        ['assistant', 'cancelled'],
        ['user', 'completed'],
        ['assistant', 'completed'],
      ]);
      expect(messages[1].content).toMatch(/^tick0 /);
      // The interrupting run's model saw the interrupted prefix.
      const sent = llm.requests.at(-1)!.body.messages as Array<{ role: string; content: unknown }>;
      expect(JSON.stringify(sent)).toContain('tick0');
    });

    it('enqueue stores the run queued; its stream opens with run_queued, then run_started once the active one ends', async () => {
      const busy = await startBusy();
      const queuedEvents: SseEvent[] = [];
      const queued = streamChat(
        t.url,
        alice.token,
        ask('[[say:after you]]', { conversation_id: busy.conversation_id, if_busy: 'enqueue' }),
        { onEvent: (e) => queuedEvents.push(e) },
      );
      for (let i = 0; i < 500 && !queuedEvents.length; i++) await new Promise((r) => setTimeout(r, 20));
      expect(queuedEvents[0]).toMatchObject({ id: '1', event: 'run_queued' });
      expect(queuedEvents[0].json).toEqual({ type: 'run_queued', run_id: expect.any(String), position: 1 });
      const queuedRunId = queuedEvents[0].json!.run_id as string;
      expect(await run(alice, queuedRunId)).toMatchObject({ status: 'queued', started_at: null });
      await t.http.post(`/api/runs/${busy.run_id}/cancel`).set(alice.auth).expect(200);
      const res = await queued;
      expect(res.events.map((e) => e.event)).toEqual([
        'run_queued',
        'run_started',
        'text_delta',
        'usage',
        'run_finished',
      ]);
      expect(idsOf(res.events)).toEqual([1, 2, 3, 4, 5]);
      expect(textOf(res.events)).toBe('after you');
      const messages = await history(alice, busy.conversation_id);
      expect(messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
      expect(messages[3]).toMatchObject({ status: 'completed', content: 'after you' });
    });

    it('a queued run cancelled before its turn ends cancelled, and its turn stays in the history', async () => {
      const busy = await startBusy();
      const res = await t.http
        .post('/api/chat')
        .set(alice.auth)
        .send(ask('later', { conversation_id: busy.conversation_id, if_busy: 'enqueue', background: true }))
        .expect(202);
      expect(res.body.status).toBe('queued');
      expect((await t.http.post(`/api/runs/${res.body.run_id}/cancel`).set(alice.auth).expect(200)).body).toEqual({
        cancelled: true,
      });
      expect(await run(alice, res.body.run_id)).toMatchObject({ status: 'cancelled', started_at: null });
      await t.http.post(`/api/runs/${busy.run_id}/cancel`).set(alice.auth).expect(200);
      const replay = await followRun(t.url, alice.token, res.body.run_id);
      expect(replay.events.map((e) => e.event)).toEqual(['run_queued', 'run_finished']);
    });
  });

  it('an Idempotency-Key retry replays the first attempt’s events with the same ids', async () => {
    const key = `key-${Date.now()}`;
    const first = await streamChat(t.url, alice.token, ask('[[say:a|b|c]]'), { headers: { 'Idempotency-Key': key } });
    const again = await streamChat(t.url, alice.token, ask('[[say:a|b|c]]'), { headers: { 'Idempotency-Key': key } });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.events.map((e) => [e.id, e.json])).toEqual(first.events.map((e) => [e.id, e.json]));
    expect(llm.requests).toHaveLength(1);
  });

  it('the history is paged backwards from the newest message, with a Link to the older page', async () => {
    const first = await streamChat(t.url, alice.token, ask('[[say:1]]'));
    const conversationId = first.events[0].json!.conversation_id as string;
    for (const n of [2, 3]) {
      await streamChat(t.url, alice.token, ask(`[[say:${n}]]`, { conversation_id: conversationId }));
    }
    const page = await t.http.get(`/api/chat/${conversationId}/history?limit=4`).set(alice.auth).expect(200);
    expect(page.body.map((m: { content: string }) => m.content)).toEqual(['[[say:2]]', '2', '[[say:3]]', '3']);
    const next = /<([^>]+)>; rel="next"/.exec(page.headers.link)![1];
    const older = await t.http.get(next).set(alice.auth).expect(200);
    expect(older.body.map((m: { content: string }) => m.content)).toEqual(['[[say:1]]', '1']);
    expect(older.headers.link).toBeUndefined();
    await t.http.get(`/api/chat/${conversationId}/history?limit=0`).set(alice.auth).expect(400);
  });

  it("a run's final save never overwrites a state another instance decided; the run stops", async () => {
    const res = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send(ask('[[slow]]', { background: true }))
      .expect(202);
    await waitForRun(alice, res.body.run_id, (r) => r.last_event_id >= 3);
    // What another instance's sweep does to a run it believes dead.
    await t.app
      .get(DataSource)
      .query(`UPDATE runs SET status = 'interrupted', stop_reason = 'interrupted', finished_at = now() WHERE id = $1`, [
        res.body.run_id,
      ]);
    const events = await followRun(t.url, alice.token, res.body.run_id, { after: 2 });
    expect(finishedOf(events.events)).toEqual({
      type: 'run_finished',
      status: 'interrupted',
      stop_reason: 'cancelled',
    });
    expect(await run(alice, res.body.run_id)).toMatchObject({ status: 'interrupted', stop_reason: 'interrupted' });
    await llm.waitForAbort();
  });

  it('the periodic sweep marks runs of an instance that stopped heartbeating interrupted, and leaves live runs alone', async () => {
    const live = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send(ask('[[slow]]', { background: true }))
      .expect(202);
    const other = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send(ask('[[say:x]]', { stream: false }))
      .expect(200);
    // What a run of an instance that died looks like: active, driven elsewhere, its heartbeat long stale.
    const db = t.app.get(DataSource);
    await db.query(
      `UPDATE runs SET status = 'running', finished_at = NULL, instance_id = gen_random_uuid(),
       heartbeat_at = now() - interval '1 hour' WHERE id = $1`,
      [other.body.run_id],
    );
    await db.query(`UPDATE messages SET status = 'streaming' WHERE run_id = $1 AND role = 'assistant'`, [
      other.body.run_id,
    ]);
    const swept = await waitForRun(alice, other.body.run_id, (r) => r.status !== 'running');
    expect(swept).toMatchObject({ status: 'interrupted', error: { code: 'INTERRUPTED' } });
    expect((await history(alice, other.body.conversation_id))[1]).toMatchObject({
      status: 'interrupted',
      content: 'x',
    });
    await new Promise((r) => setTimeout(r, 800));
    expect(await run(alice, live.body.run_id)).toMatchObject({ status: 'running' });
    await t.http.post(`/api/runs/${live.body.run_id}/cancel`).set(alice.auth).expect(200);
  });
});

describe('Run events past RUN_EVENTS_TTL_S (e2e)', () => {
  let t: TestApp;
  let close: () => Promise<void>;
  let alice: TestUser;

  beforeAll(async () => {
    ({ t, close } = await startChatApp({ RUN_EVENTS_TTL_S: '1' }));
    alice = await createUser(t);
  });
  afterAll(() => close());

  it('a resume from an id is 410 RUN_EVENTS_EXPIRED; a replay from the start is rebuilt from the stored answer', async () => {
    const live = await streamChat(t.url, alice.token, ask('[[say:kept |in |history]]'));
    const runId = live.events[0].json!.run_id as string;
    await new Promise((r) => setTimeout(r, 1200));
    const gone = await t.http.get(`/api/runs/${runId}/events`).set(alice.auth).set('Last-Event-ID', '2');
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ status: 410, code: 'RUN_EVENTS_EXPIRED' });
    const rebuilt = await followRun(t.url, alice.token, runId);
    expect(rebuilt.events.map((e) => e.event)).toEqual(['run_started', 'text_delta', 'usage', 'run_finished']);
    expect(textOf(rebuilt.events)).toBe('kept in history');
    expect(finishedOf(rebuilt.events)).toMatchObject({ status: 'completed' });
  });
});
