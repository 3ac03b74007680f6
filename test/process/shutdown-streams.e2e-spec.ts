import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startScriptedAnthropic,
  type ScriptedAnthropic,
} from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { Agent } from 'undici';
import { streamChat } from '../support/sse.js';

const MAIN = join(__dirname, '../../dist/src/main.js');
// These drive the built server as `npm start` runs it; `npm test` builds first.
beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (npm test does it for you)`);
});

const children = new Set<ReturnType<typeof spawn>>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

function boot(env: Record<string, string>) {
  let out = '';
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = (async () => {
    for (let i = 0; i < 300; i++) {
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) return m[1];
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no boot:\n${out}`);
  })();
  return { child, exited, url, output: () => out };
}

type Credentials = { email: string; password: string };

async function logIn(url: string, creds: Credentials): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(creds),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function registerAndLogIn(url: string, creds: Credentials): Promise<string> {
  await fetch(`${url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(creds),
  });
  return logIn(url, creds);
}

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

  it('cancels the stream after the grace period, saves the partial answer, ends the stream cleanly and exits 0', async () => {
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      PGLITE_DIR: join(dir, 'db'),
      JWT_SECRET: 'shutdown-test-secret-0123456789abcdefghij',
      ANTHROPIC_API_KEY: 'sk-shutdown-test-key',
      ANTHROPIC_BASE_URL: llm.url,
      SHUTDOWN_GRACE_MS: '300',
      LOG_LEVEL: 'info',
    };
    const first = boot(env);
    const url = await first.url;
    const creds = { email: 'shutdown@example.com', password: 'password-123' };
    const token = await registerAndLogIn(url, creds);

    let killed = false;
    const stream = await streamChat(
      url,
      token,
      { messages: [{ role: 'user', content: '[[slow]]' }] },
      {
        onEvent: (e) => {
          if (e.event === 'text_delta' && !killed) {
            killed = true;
            first.child.kill('SIGTERM');
          }
        },
      },
    );
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
    const second = boot(env);
    const url2 = await second.url;
    try {
      const token2 = await logIn(url2, creds);
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
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      PGLITE_DIR: join(dir, 'db-drain'),
      JWT_SECRET: 'shutdown-test-secret-0123456789abcdefghij',
      ANTHROPIC_API_KEY: 'sk-shutdown-test-key',
      ANTHROPIC_BASE_URL: llm.url,
      // Both far longer than the wait this test allows: the drain must not sit out either.
      SHUTDOWN_GRACE_MS: '15000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '60000',
      LOG_LEVEL: 'info',
    };
    const server = boot(env);
    const url = await server.url;
    const token = await registerAndLogIn(url, { email: 'drain@example.com', password: 'password-123' });
    // A client that keeps its connection open after the stream's last byte, ready for its next request, for as long
    // as the server's Keep-Alive header allows (fetch's own agent lets go after 4 s).
    const client = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
    let signalledAt = 0;
    const stream = await streamChat(
      url,
      token,
      { messages: [{ role: 'user', content: '[[deltas:6:50]]' }] },
      {
        onEvent: (e) => {
          if (e.event === 'text_delta' && !signalledAt) {
            signalledAt = performance.now();
            server.child.kill('SIGTERM');
          }
        },
        dispatcher: client,
      },
    );
    expect(stream.events.find((e) => e.event === 'run_finished')!.json).toMatchObject({ status: 'completed' });
    expect(await server.exited).toBe(0);
    expect(performance.now() - signalledAt).toBeLessThan(5_000);
    await client.close();
  }, 40_000);
});
