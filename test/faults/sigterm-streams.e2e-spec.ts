import { useFaultSuite } from '../support/fault-suite.js';
import { assertServerBuilt, killAllServers, loginOver, spawnServer } from '../support/server-process.js';
import { streamChat } from '../support/sse.js';

beforeAll(assertServerBuilt);
afterAll(killAllServers);

const GRACE_MS = 1500;
const textOf = (events: Array<{ event?: string; json?: Record<string, unknown> }>) =>
  events
    .filter((e) => e.event === 'text_delta')
    .map((e) => e.json!.text)
    .join('');

/**
 * A deploy sends SIGTERM while several users are streaming. (test/process/shutdown-streams.e2e-spec.ts covers one
 * stream; this is the many-streams case.) Runs on PGlite or a private PostgreSQL cluster like the other faults.
 */
describe('Fault: SIGTERM with several streams open', () => {
  const suite = useFaultSuite('sigterm');

  it('streams that can finish in the grace period finish; the rest are cancelled and saved; no new connections; exit 0', async () => {
    const server = spawnServer(
      suite.serverEnv({
        SHUTDOWN_GRACE_MS: String(GRACE_MS),
      }),
    );
    const url = await server.url;
    const users = [
      { email: 'term-a@example.com', password: 'password-term-a' },
      { email: 'term-b@example.com', password: 'password-term-b' },
    ];
    const tokens = await Promise.all(users.map((u) => loginOver(url, u)));
    // Short streams end inside the grace period; [[slow]] ones (30 s) cannot.
    const plan = [
      { token: tokens[0], prompt: 'short one [[deltas:6:100]]', expected: 'completed' },
      { token: tokens[0], prompt: 'long one [[slow]]', expected: 'cancelled' },
      { token: tokens[1], prompt: 'short two [[deltas:8:100]]', expected: 'completed' },
      { token: tokens[1], prompt: 'long two [[slow]]', expected: 'cancelled' },
      { token: tokens[1], prompt: 'long three [[slow]]', expected: 'cancelled' },
    ];
    let flowing = 0;
    let signalled = 0;
    let refused: unknown;
    const streams = plan.map((p) => {
      let first = true;
      return streamChat(
        url,
        p.token,
        { messages: [{ role: 'user', content: p.prompt }] },
        {
          onEvent: (e) => {
            if (e.event !== 'text_delta' || !first) return;
            first = false;
            if (++flowing < plan.length) return;
            signalled = Date.now();
            server.child.kill('SIGTERM');
            // While the streams drain, the server takes no new connections.
            setTimeout(() => {
              fetch(`${url}/health`).then(
                (res) => (refused = res.status),
                (err: Error) => (refused = (err.cause as { code?: string })?.code ?? err.message),
              );
            }, 300);
          },
        },
      );
    });
    const results = await Promise.all(streams);
    const exitCode = await server.exited;
    const shutdownMs = Date.now() - signalled;
    console.log(
      `SIGTERM with ${plan.length} streams: exited ${exitCode} after ${shutdownMs} ms (grace ${GRACE_MS} ms)`,
    );
    expect(exitCode).toBe(0);
    // Grace period, then at most the 5 s the cancelled runs get to save, then close.
    expect(shutdownMs).toBeLessThan(GRACE_MS + 5000);
    expect(server.output()).toContain('grace period over: stopping what still runs');
    expect(refused).toBe('ECONNREFUSED');

    results.forEach((r, i) => {
      expect(r.done).toBe(true);
      expect(r.events.at(-1)!.json).toMatchObject({ type: 'run_finished', status: plan[i].expected });
    });

    // Every run's final state was saved before the process exited: what each client saw is what is stored.
    for (const [i, r] of results.entries()) {
      const [row] = await suite.db.query<{ run_status: string; status: string; text: string }>(
        `SELECT r.status AS run_status, m.status, m.content->0->>'text' AS text
           FROM runs r JOIN messages m ON m.run_id = r.id AND m.role = 'assistant' WHERE r.id = $1`,
        [r.events[0].json!.run_id],
      );
      expect(row).toEqual({ run_status: plan[i].expected, status: plan[i].expected, text: textOf(r.events) });
    }
    const [{ running }] = await suite.db.query<{ running: number }>(
      `SELECT count(*)::int AS running FROM runs WHERE status = 'running'`,
    );
    expect(running).toBe(0);
  }, 90_000);
});
