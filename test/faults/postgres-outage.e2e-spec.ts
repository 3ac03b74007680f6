import {
  startScriptedAnthropic,
  type ScriptedAnthropic,
} from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { assertServerBuilt, getJson, killAllServers, loginOver, spawnServer } from '../support/server-process.js';
import { streamChat } from '../support/sse.js';
import { waitFor } from '../support/wait-for.js';

beforeAll(assertServerBuilt);
afterAll(killAllServers);

const unavailable = privatePostgresUnavailable();
if (unavailable) {
  // Loud on purpose: this fault needs a PostgreSQL cluster of its own to crash, and none can be made here.
  console.warn(`SKIPPED test/faults/postgres-outage: cannot create a private PostgreSQL cluster (${unavailable})`);
}
const describeWithCluster = unavailable ? describe.skip : describe;

/** PostgreSQL crashes (`pg_ctl stop -m immediate`) under a running server, then comes back. */
describeWithCluster('Fault: PostgreSQL stopped mid-stream (private cluster)', () => {
  let pg: PrivatePostgres;
  let llm: ScriptedAnthropic;
  const creds = { email: 'outage@example.com', password: 'password-outage-1' };

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    llm = await startScriptedAnthropic();
  });
  afterAll(async () => {
    await llm.close();
    await pg.destroy();
  });

  it('the stream ends with an error event, requests get 503 (never 500), /ready is 503; it recovers without a restart', async () => {
    const server = spawnServer({
      DATABASE_URL: pg.url,
      JWT_SECRET: 'outage-test-secret-0123456789abcdefghijkl',
      ANTHROPIC_API_KEY: 'sk-outage-test-key',
      ANTHROPIC_BASE_URL: llm.url,
      LOG_LEVEL: 'info',
    });
    const url = await server.url;
    const token = await loginOver(url, creds);
    const auth = { authorization: `Bearer ${token}` };

    let stopped: Promise<void> | undefined;
    let stoppedAt = 0;
    let deltas = 0;
    const started = Date.now();
    const stream = await streamChat(
      url,
      token,
      { messages: [{ role: 'user', content: 'keep talking [[slow]]' }] },
      {
        onEvent: (e) => {
          if (e.event === 'text_delta' && ++deltas === 3) {
            stoppedAt = Date.now();
            stopped = pg.stop('immediate');
          }
        },
      },
    );
    const streamEndedMs = Date.now() - stoppedAt;
    await stopped;
    // The slow script would stream for 30 s; the run stops as soon as its progress cannot be saved.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stream.done).toBe(true);
    const error = stream.events.find((e) => e.event === 'error')?.json;
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', recoverable: true });
    expect(stream.events.at(-1)!.json).toMatchObject({ type: 'run_finished', status: 'failed' });
    const conversationId = stream.events[0].json!.conversation_id as string;

    const down = [
      ['GET /api/documents', () => fetch(`${url}/api/documents`, { headers: auth })],
      ['GET /api/conversations', () => fetch(`${url}/api/conversations`, { headers: auth })],
      ['GET history', () => fetch(`${url}/api/chat/${conversationId}/history`, { headers: auth })],
      [
        'POST /api/chat',
        () =>
          fetch(`${url}/api/chat`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify({ messages: [{ role: 'user', content: 'hello?' }] }),
          }),
      ],
      [
        'POST /api/documents',
        () =>
          fetch(`${url}/api/documents`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify({ content: 'written while the database is down' }),
          }),
      ],
      [
        'POST /api/auth/login',
        () =>
          fetch(`${url}/api/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(creds),
          }),
      ],
    ] as const;
    for (const [name, request] of down) {
      const res = await request();
      const body = await res.text();
      expect([name, res.status]).toEqual([name, 503]);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(JSON.parse(body)).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        detail: 'The database is unavailable; retry shortly',
      });
      expect(body).not.toMatch(/ECONNREFUSED|terminat|postgres|at \w+ \(/i);
    }
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', database: false });
    expect((await fetch(`${url}/health`)).status).toBe(200);

    await pg.start();
    const recoveredIn = await waitFor(async () => (await fetch(`${url}/ready`)).status === 200, 10_000);
    console.log(
      `PostgreSQL outage: stream ended with an error ${streamEndedMs} ms after the stop; ` +
        `/ready back to 200 ${recoveredIn} ms after the cluster restarted`,
    );
    expect((await fetch(`${url}/api/documents`, { headers: auth })).status).toBe(200);
    const again = await streamChat(url, token, { messages: [{ role: 'user', content: '[[say:back|again]]' }] });
    expect(again.events.find((e) => e.event === 'run_finished')!.json).toMatchObject({ status: 'completed' });
    // The interrupted run's final state is saved once the database is back (it is not left `running`).
    await waitFor(async () => {
      const history = await getJson<Array<{ status: string }>>(`${url}/api/chat/${conversationId}/history`, token);
      return history.body.at(-1)?.status === 'failed';
    }, 10_000);
    const [run] = await pg.query<{ status: string; error: { code: string } }>(
      `SELECT status, error FROM runs WHERE conversation_id = $1`,
      [conversationId],
    );
    expect(run).toMatchObject({ status: 'failed', error: { code: 'SERVICE_UNAVAILABLE' } });
    expect(server.output()).not.toMatch(/"status":5\d\d(?<!503)/);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 90_000);
});
