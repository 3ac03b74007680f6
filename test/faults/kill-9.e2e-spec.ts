import { useFaultSuite } from '../support/fault-suite.js';
import { assertServerBuilt, getJson, killAllServers, loginOver, spawnServer } from '../support/server-process.js';
import { streamChat, type SseEvent } from '../support/sse.js';

beforeAll(assertServerBuilt);
afterAll(killAllServers);

/**
 * The process dies with no chance to clean up (OOM killer, power loss, `kill -9`) in the middle of a stream.
 * Runs on a PGlite data directory (default run) or a private PostgreSQL cluster (TEST_DATABASE_URL set).
 */
describe('Fault: kill -9 of the server mid-stream', () => {
  const suite = useFaultSuite('kill-nine');
  const creds = { email: 'crash@example.com', password: 'password-crash-123' };

  it('the run becomes `interrupted` (PGlite: at the next boot; PostgreSQL: by the next sweep); the prefix is kept', async () => {
    const first = spawnServer(suite.serverEnv());
    const url = await first.url;
    const token = await loginOver(url, creds);

    const seen: SseEvent[] = [];
    let deltas = 0;
    const stream = streamChat(
      url,
      token,
      { messages: [{ role: 'user', content: 'Tell me a long story [[slow]]' }] },
      {
        onEvent: (e) => {
          seen.push(e);
          // 25 ticks at 50 ms: past two of the progress writer's 500 ms saves, so a prefix is on disk at the kill.
          if (e.event === 'text_delta' && ++deltas === 25) first.child.kill('SIGKILL');
        },
      },
    );
    await expect(stream).rejects.toThrow(); // the connection is cut, not ended
    expect(await first.exited).toBeNull();
    const conversationId = seen[0].json!.conversation_id as string;
    const runId = seen[0].json!.run_id as string;
    const streamed = seen
      .filter((e) => e.event === 'text_delta')
      .map((e) => e.json!.text)
      .join('');

    // Heartbeats 200 ms apart: a run whose heartbeat is 600 ms old is taken for dead.
    const second = spawnServer(suite.serverEnv({ RUN_HEARTBEAT_MS: '200' }));
    const url2 = await second.url;
    if (suite.db.kind === 'pglite') {
      // Only this process can open the embedded database: every run left active is swept at boot.
      expect(second.output()).toContain('marked runs left running by a previous process as interrupted');
    }
    const token2 = await loginOver(url2, creds);
    const read = () =>
      getJson<Array<{ role: string; status: string; content: string }>>(
        `${url2}/api/chat/${conversationId}/history`,
        token2,
      );
    let history = await read();
    for (let i = 0; i < 100 && history.body[1]?.status === 'streaming'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      history = await read();
    }
    expect(history.status).toBe(200);
    expect(history.body).toHaveLength(2);
    expect(history.body[0]).toMatchObject({
      role: 'user',
      status: 'completed',
      content: 'Tell me a long story [[slow]]',
    });
    expect(history.body[1]).toMatchObject({ role: 'assistant', status: 'interrupted' });
    // The saved prefix: what was flushed before the kill, a prefix of what the client saw.
    expect(history.body[1].content).toMatch(/^tick0 tick1 /);
    expect(streamed.startsWith(history.body[1].content)).toBe(true);
    // The conversation is usable again: a new turn runs.
    const next = await streamChat(url2, token2, {
      conversation_id: conversationId,
      messages: [{ role: 'user', content: 'go on [[say:the|end]]' }],
    });
    expect(next.events.find((e) => e.event === 'run_finished')!.json).toMatchObject({ status: 'completed' });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const [run] = await suite.db.query<{ status: string; error: { code: string }; finished_at: unknown }>(
      `SELECT status, error, finished_at FROM runs WHERE id = $1`,
      [runId],
    );
    expect(run).toMatchObject({ status: 'interrupted', error: { code: 'INTERRUPTED' } });
    expect(run.finished_at).not.toBeNull();
    const [{ running }] = await suite.db.query<{ running: number }>(
      `SELECT count(*)::int AS running FROM runs WHERE status = 'running'`,
    );
    expect(running).toBe(0);
  }, 90_000);
});
