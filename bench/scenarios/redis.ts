import { createUsers } from '../api-client.js';
import { check, info, type Row } from '../report.js';
import { appTarget, directTarget } from '../stream-targets.js';
import { ms, p50p99 } from '../stats.js';
import { appStreamsHeld } from './active-streams.js';
import { interleaved, SHORT_ANSWER } from './first-token.js';
import { settle, type Scenario } from './scenario.js';

/**
 * The app as one instance of a scaled-out deployment: a second app process, on a fresh store of the same kind, with
 * REDIS_URL set (event logs as Redis Streams, limits and caps counted in Redis). First token interleaved with the
 * run's app (REDIS_URL unset) and the model straight; then the active-streams steps on it, beside the `active` rows.
 */
export const redisScenario: Scenario = {
  name: 'redis',
  async run(ctx) {
    const n = ctx.options.sizes.firstToken.sequential;
    const withRedis = await ctx.appWithRedis();
    const [plainUser] = await createUsers(ctx.app.url, 'redis-off', 1);
    const [redisUser] = await createUsers(withRedis.url, 'redis-on', 1);
    const targets = [
      directTarget(ctx.llm.url, SHORT_ANSWER),
      appTarget(ctx.app.url, plainUser.token, SHORT_ANSWER),
      { ...appTarget(withRedis.url, redisUser.token, SHORT_ANSWER), label: 'app with Redis' },
    ];
    await interleaved(targets, 5);
    await settle(ctx, withRedis);
    const [direct, plain, redis] = await interleaved(targets, n);
    await settle(ctx, withRedis);
    const added = (s: typeof direct) => ms(s.firstToken.p50 - direct.firstToken.p50);
    const active = await appStreamsHeld(ctx, 'app with Redis', withRedis);
    const steps = ctx.options.sizes.active.steps.join('/');
    const rows: Row[] = [
      info(
        `first token with REDIS_URL beside without, 1 stream (n=${n} each, interleaved)`,
        `without ${p50p99(plain.firstToken)}, with ${p50p99(redis.firstToken)}; model straight ${p50p99(direct.firstToken)}`,
      ),
      info('  added first token p50: without / with Redis', `${added(plain)} / ${added(redis)}`),
      check(
        'active streams held at once with REDIS_URL (see the active rows for without)',
        '>= 1000',
        `${active.held || 'none'} (steps ${steps})`,
        active.held >= 1000,
      ),
      ...active.rows,
    ];
    return rows;
  },
};
