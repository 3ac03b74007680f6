import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startScriptedAnthropic,
  type ScriptedAnthropic,
} from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { Agent, type Dispatcher } from 'undici';
import {
  assertServerBuilt,
  killAllServers,
  loginOver,
  spawnServer,
  type ServerProcess,
} from '../support/server-process.js';
import { streamChat } from '../support/sse.js';

// These drive the built server as `npm start` runs it; `npm test` builds first.
beforeAll(assertServerBuilt);
afterAll(killAllServers);

describe('SIGTERM with a stream open (built server process)', () => {
  let dir: string;
  let llm: ScriptedAnthropic;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-shutdown-'));
    llm = await startScriptedAnthropic();
  });
  afterAll(async () => {
    await llm.close();
    await rm(dir, { recursive: true, force: true });
  });

  const serverEnv = (dbName: string, extra: Record<string, string>) => ({
    PGLITE_DIR: join(dir, dbName),
    JWT_SECRET: 'shutdown-test-secret-0123456789abcdefghij',
    ANTHROPIC_API_KEY: 'sk-shutdown-test-key',
    ANTHROPIC_BASE_URL: llm.url,
    LOG_LEVEL: 'info',
    ...extra,
  });

  /** Streams `prompt` and sends the server SIGTERM on the first text delta; resolves when the stream ends. */
  async function streamThenSigterm(server: ServerProcess, token: string, prompt: string, dispatcher?: Dispatcher) {
    let signalledAt = 0;
    const stream = await streamChat(
      await server.url,
      token,
      { messages: [{ role: 'user', content: prompt }] },
      {
        onEvent: (e) => {
          if (e.event === 'text_delta' && !signalledAt) {
            signalledAt = performance.now();
            server.child.kill('SIGTERM');
          }
        },
        dispatcher,
      },
    );
    return { stream, signalledAt };
  }

  it('cancels the stream after the grace period, saves the partial answer, ends the stream cleanly and exits 0', async () => {
    const env = serverEnv('db', { SHUTDOWN_GRACE_MS: '300' });
    const first = spawnServer(env);
    const url = await first.url;
    const creds = { email: 'shutdown@example.com', password: 'password-123' };
    const { stream } = await streamThenSigterm(first, await loginOver(url, creds), '[[slow]]');
    expect(await first.exited).toBe(0);
    expect(stream.done).toBe(true);
    const finished = stream.events.find((e) => e.event === 'run_finished')!.json!;
    expect(finished).toMatchObject({ status: 'cancelled' });
    const conversationId = stream.events[0].json!.conversation_id as string;
    const streamed = stream.events
      .filter((e) => e.event === 'text_delta')
      .map((e) => e.json!.text)
      .join('');
    expect(streamed).toMatch(/^tick0 /);

    // The partial answer survived the shutdown.
    const second = spawnServer(env);
    const url2 = await second.url;
    try {
      const token2 = await loginOver(url2, creds);
      const history = (await (
        await fetch(`${url2}/api/chat/${conversationId}/history`, { headers: { authorization: `Bearer ${token2}` } })
      ).json()) as Array<Record<string, unknown>>;
      expect(history[1]).toMatchObject({ role: 'assistant', status: 'cancelled', content: streamed });
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  }, 60_000);

  it('exits as soon as a stream that finishes within the grace period is done, though its connection is kept alive', async () => {
    // Both far longer than the wait this test allows: the drain must not sit out either.
    const server = spawnServer(
      serverEnv('db-drain', { SHUTDOWN_GRACE_MS: '15000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '60000' }),
    );
    const token = await loginOver(await server.url, { email: 'drain@example.com', password: 'password-123' });
    // A client that keeps its connection open after the stream's last byte, ready for its next request, for as long
    // as the server's Keep-Alive header allows (fetch's own agent lets go after 4 s).
    const client = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
    const { stream, signalledAt } = await streamThenSigterm(server, token, '[[deltas:6:50]]', client);
    expect(stream.events.find((e) => e.event === 'run_finished')!.json).toMatchObject({ status: 'completed' });
    expect(await server.exited).toBe(0);
    expect(performance.now() - signalledAt).toBeLessThan(5_000);
    await client.close();
  }, 40_000);
});
