import { useFaultSuite } from '../support/fault-suite.js';
import { privateRedisUnavailable, startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';
import { assertServerBuilt, getJson, killAllServers, loginOver, spawnServer } from '../support/server-process.js';
import { streamChat } from '../support/sse.js';
import { waitFor } from '../support/wait-for.js';

beforeAll(assertServerBuilt);
afterAll(killAllServers);

const unavailable = privateRedisUnavailable();
if (unavailable) console.warn(`SKIPPED test/faults/redis-outage: cannot start a private Redis (${unavailable})`);
const describeWithPrivateRedis = unavailable && process.env.REQUIRE_REDIS_TESTS !== '1' ? describe.skip : describe;

/** Redis (REDIS_URL) is killed under a streaming server, then comes back: no 500, no restart needed. */
describeWithPrivateRedis('Fault: Redis killed mid-stream (private redis-server)', () => {
  const suite = useFaultSuite('redis-outage');
  let redis: PrivateRedis;
  const creds = { email: 'redis-outage@example.com', password: 'password-redis-1' };

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(() => redis?.destroy());

  it('the stream ends with an error event, /ready is 503 (never a 500 anywhere); it recovers without a restart', async () => {
    const server = spawnServer(suite.serverEnv({ REDIS_URL: redis.url }));
    const url = await server.url;
    const token = await loginOver(url, creds);
    const auth = { authorization: `Bearer ${token}` };
    expect(await (await fetch(`${url}/ready`)).json()).toMatchObject({ status: 'ready', redis: true });

    let killed: Promise<void> | undefined;
    let deltas = 0;
    const started = Date.now();
    const stream = await streamChat(
      url,
      token,
      { messages: [{ role: 'user', content: 'keep talking [[slow]]' }] },
      {
        onEvent: (e) => {
          if (e.event === 'text_delta' && ++deltas === 3) killed = redis.kill();
        },
      },
    );
    await killed;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stream.done).toBe(true);
    expect(stream.events.find((e) => e.event === 'error')?.json).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      recoverable: true,
    });
    expect(stream.events.at(-1)!.json).toMatchObject({ type: 'run_finished', status: 'failed' });

    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', redis: false });
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const refused = await fetch(`${url}/api/documents`, { headers: auth });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      detail: 'Redis is unavailable; retry shortly',
    });

    await redis.start();
    const recoveredIn = await waitFor(async () => (await fetch(`${url}/ready`)).status === 200, 10_000);
    console.log(`Redis outage: /ready back to 200 ${recoveredIn} ms after Redis restarted`);
    expect((await getJson(`${url}/api/documents`, token)).status).toBe(200);
    const again = await streamChat(url, token, { messages: [{ role: 'user', content: '[[say:back|again]]' }] });
    expect(again.events.find((e) => e.event === 'run_finished')!.json).toMatchObject({ status: 'completed' });
    expect(server.output()).not.toMatch(/"status":5\d\d(?<!503)/);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 90_000);
});
