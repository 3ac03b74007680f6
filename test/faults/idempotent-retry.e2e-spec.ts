import { useFaultSuite } from '../support/fault-suite.js';
import { assertServerBuilt, killAllServers, loginOver, spawnServer } from '../support/server-process.js';
import { streamChat } from '../support/sse.js';

beforeAll(assertServerBuilt);
afterAll(killAllServers);

/**
 * A mobile client loses its connection mid-answer and retries the same request with the same Idempotency-Key.
 * The retry must not run the agent again nor store the user's turn twice. Checked in the database itself.
 */
describe('Fault: a retried POST /api/chat after a dropped connection', () => {
  const suite = useFaultSuite('retry');

  it('creates no duplicate message, run or conversation, whatever the timing of the retries', async () => {
    const server = spawnServer(suite.serverEnv());
    const url = await server.url;
    const token = await loginOver(url, { email: 'retry@example.com', password: 'password-retry-1' });
    const body = { messages: [{ role: 'user', content: 'unique question 7f3a [[slow]]' }] };
    const key = 'client-generated-7f3a';

    // First attempt: the client drops the connection after a few deltas.
    const controller = new AbortController();
    let deltas = 0;
    const first = await streamChat(url, token, body, {
      signal: controller.signal,
      headers: { 'Idempotency-Key': key },
      onEvent: (e) => e.event === 'text_delta' && ++deltas === 3 && controller.abort(),
    });
    const runId = first.events[0].json!.run_id as string;

    // Retries, immediately and repeatedly (some may meet the first run still saving: 409 + Retry-After).
    const statuses: number[] = [];
    let replay: Awaited<ReturnType<typeof streamChat>> | undefined;
    for (let i = 0; i < 50 && !replay; i++) {
      const res = await streamChat(url, token, body, { headers: { 'Idempotency-Key': key } });
      statuses.push(res.status);
      if (res.status === 200) replay = res;
      else {
        expect(res.status).toBe(409);
        expect(res.headers.get('retry-after')).toBe('1');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(replay!.headers.get('idempotent-replayed')).toBe('true');
    expect(replay!.events[0].json!.run_id).toBe(runId);
    // Two more concurrent retries, one of them as JSON: both answer from the same run.
    const [a, b] = await Promise.all([
      streamChat(url, token, body, { headers: { 'Idempotency-Key': key } }),
      fetch(`${url}/api/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'Idempotency-Key': key },
        body: JSON.stringify({ ...body, stream: false }),
      }).then((r) => r.json() as Promise<{ run_id: string }>),
    ]);
    expect(a.events[0].json!.run_id).toBe(runId);
    expect(b.run_id).toBe(runId);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(suite.llm.requests).toHaveLength(1);

    const runs = await suite.db.query<{ id: string; status: string }>(
      `SELECT id, status FROM runs WHERE idempotency_key = $1`,
      [key],
    );
    expect(runs).toEqual([{ id: runId, status: 'cancelled' }]);
    const counts = await suite.db.query<{
      conversations: number;
      runs: number;
      user_messages: number;
      messages: number;
    }>(
      `SELECT (SELECT count(*)::int FROM conversations) AS conversations,
              (SELECT count(*)::int FROM runs) AS runs,
              (SELECT count(*)::int FROM messages WHERE role = 'user') AS user_messages,
              (SELECT count(*)::int FROM messages) AS messages`,
    );
    expect(counts).toEqual([{ conversations: 1, runs: 1, user_messages: 1, messages: 2 }]);
  }, 90_000);
});
