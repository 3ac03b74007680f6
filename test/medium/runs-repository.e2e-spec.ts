import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ChatRepository } from '../../src/chat/chat.repository.js';
import { RunsRepository, type NewRun } from '../../src/chat/runs/runs.repository.js';
import { createUser, type TestUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The run's multi-step SQL where it lives (RunsRepository), on the store the suite runs against (PGlite, or
 * PostgreSQL with TEST_DATABASE_URL): starting, queueing, saving progress, finishing only while owned, heartbeats
 * and the sweep. The HTTP specs show the behaviour; these show each statement's guarantees on its own.
 */
describe('RunsRepository (medium: the SQL on a real database)', () => {
  let t: TestApp;
  let runs: RunsRepository;
  let chat: ChatRepository;
  let db: DataSource;
  let owner: TestUser;
  const me = randomUUID();
  const other = randomUUID();

  beforeAll(async () => {
    t = await startTestApp();
    runs = t.app.get(RunsRepository);
    chat = t.app.get(ChatRepository);
    db = t.app.get(DataSource);
    owner = await createUser(t);
  });
  afterAll(() => t.close());

  const newRun = (over: Partial<NewRun> = {}): NewRun => ({
    userId: owner.id,
    conversationId: randomUUID(),
    historyThroughSeq: null,
    runId: randomUUID(),
    assistantMessageId: randomUUID(),
    title: 'medium',
    agent: 'assistant',
    model: 'm',
    context: null,
    idempotencyKey: null,
    messages: [{ role: 'user', content: 'hello' }],
    instanceId: me,
    background: false,
    onDisconnect: 'cancel',
    ...over,
  });
  const end = (run: NewRun, instanceId = me) =>
    runs.finishRun({
      runId: run.runId,
      messageId: run.assistantMessageId,
      text: 'done',
      status: 'completed',
      stopReason: 'end_turn',
      usage: { input_tokens: 1, output_tokens: 2 },
      error: null,
      lastEventId: 4,
      instanceId,
    });

  it('a run start stores the conversation, the turn and an empty streaming answer, atomically', async () => {
    const run = newRun();
    await expect(runs.openRun(run)).resolves.toBeUndefined();
    const messages = await chat.listMessages(run.conversationId, 10);
    expect(messages.map((m) => [m.role, m.status, m.runId])).toEqual([
      ['user', 'completed', run.runId],
      ['assistant', 'streaming', run.runId],
    ]);
    const [row] = await db.query(`SELECT status, instance_id, heartbeat_at, started_at FROM runs WHERE id = $1`, [
      run.runId,
    ]);
    expect(row).toMatchObject({ status: 'running', instance_id: me });
    expect(row.heartbeat_at).not.toBeNull();
    expect(row.started_at).not.toBeNull();
  });

  it('a follow-up is refused while a run is active (busy), and once a newer message landed (changed)', async () => {
    const first = newRun();
    await runs.openRun(first);
    const history = (await chat.findConversationHistory(first.conversationId, owner.id, 1_000_000))!;
    const followUp = () =>
      newRun({ conversationId: first.conversationId, historyThroughSeq: history.throughSeq, runId: randomUUID() });
    await expect(runs.openRun(followUp())).resolves.toBe('busy');
    expect(await end(first)).toBe(true);
    // Read through the newest message, a follow-up is stored; one read before it landed is not.
    const second = newRun({ conversationId: first.conversationId, historyThroughSeq: history.throughSeq });
    await expect(runs.openRun(second)).resolves.toBeUndefined();
    expect(await end(second)).toBe(true);
    await expect(runs.openRun(followUp())).resolves.toBe('changed');
    // A stranger's conversation is missing, whatever the seq.
    const stranger = await createUser(t);
    await expect(
      runs.openRun(newRun({ userId: stranger.id, conversationId: first.conversationId, historyThroughSeq: '0' })),
    ).resolves.toBe('missing');
  });

  it('queued runs start one at a time, in the order they were queued, only once the conversation is free', async () => {
    const active = newRun();
    await runs.openRun(active);
    const queued = [newRun(), newRun()].map((r) => ({
      ...r,
      conversationId: active.conversationId,
      historyThroughSeq: 'queue' as const,
      assistantMessageId: null,
    }));
    for (const q of queued) await expect(runs.openRun(q)).resolves.toBeUndefined();
    await expect(runs.queuePosition(queued[0].runId)).resolves.toBe(1);
    await expect(runs.queuePosition(queued[1].runId)).resolves.toBe(2);
    await expect(runs.startQueuedRun(queued[0].runId, me, randomUUID())).resolves.toBe(false);
    await end(active);
    await expect(runs.startQueuedRun(queued[1].runId, me, randomUUID())).resolves.toBe(false);
    await expect(runs.startQueuedRun(queued[0].runId, me, randomUUID())).resolves.toBe(true);
    // The second waits for the first, now running.
    await expect(runs.startQueuedRun(queued[1].runId, me, randomUUID())).resolves.toBe(false);
    // History for the first queued run stops at its own turn, whatever was queued after it.
    const history = (await chat.findConversationHistory(active.conversationId, owner.id, 1_000_000, queued[0].runId))!;
    expect(history.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('progress saves touch only streaming answers; the final save only a run this instance still owns', async () => {
    const run = newRun();
    await runs.openRun(run);
    await runs.saveStreamingTexts([{ messageId: run.assistantMessageId!, text: 'par' }]);
    expect((await chat.findRunMessage(run.runId))!.content).toEqual([{ type: 'text', text: 'par' }]);
    expect(await end(run, other)).toBe(false);
    expect(await end(run)).toBe(true);
    await runs.saveStreamingTexts([{ messageId: run.assistantMessageId!, text: 'late' }]);
    expect((await chat.findRunMessage(run.runId))!.content).toEqual([{ type: 'text', text: 'done' }]);
    expect(await end(run)).toBe(false);
    const [row] = await db.query(`SELECT status, last_event_id, heartbeat_at FROM runs WHERE id = $1`, [run.runId]);
    expect(row).toEqual({ status: 'completed', last_event_id: 4, heartbeat_at: null });
  });

  it('heartbeats renew only this instance’s active runs; the sweep ends only stale ones, once', async () => {
    const mine = newRun();
    const theirs = newRun({ instanceId: other });
    await runs.openRun(mine);
    await runs.openRun(theirs);
    await db.query(`UPDATE runs SET heartbeat_at = now() - interval '1 hour' WHERE id IN ($1, $2)`, [
      mine.runId,
      theirs.runId,
    ]);
    expect(await runs.heartbeat(me)).toContain(mine.runId);
    const swept = await runs.sweepStale(60_000);
    expect(swept.map((s) => s.id)).toContain(theirs.runId);
    expect(swept.map((s) => s.id)).not.toContain(mine.runId);
    expect((await runs.sweepStale(60_000)).map((s) => s.id)).not.toContain(theirs.runId);
    const [row] = await db.query(`SELECT status, error FROM runs WHERE id = $1`, [theirs.runId]);
    expect(row).toMatchObject({ status: 'interrupted', error: { code: 'INTERRUPTED' } });
    expect((await chat.findRunMessage(theirs.runId))!.status).toBe('interrupted');
    // The swept run's driver, if it was alive after all, cannot save over the decided state.
    expect(await end(theirs, other)).toBe(false);
  });
});
