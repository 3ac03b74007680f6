import { describeWithRedis, testRedisClient, testRedisPrefix } from '../../../test/support/redis.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';
import { SlidingWindowThrottlerStorage } from './sliding-window.storage.js';
import { pick, seededRandom } from '../../../test/support/seeded-random.js';

describeWithRedis('RedisThrottlerStorage (real Redis)', () => {
  let redis: ReturnType<typeof testRedisClient>;
  beforeAll(() => {
    redis = testRedisClient();
  });
  afterAll(() => redis.quit());

  const keys = [
    { key: 'a', ttl: 10_000, limit: 3, blockDuration: 10_000 },
    { key: 'b', ttl: 10_000, limit: 5, blockDuration: 0 },
    { key: 'c', ttl: 60_000, limit: 40, blockDuration: 60_000 },
    { key: 'd', ttl: 5_000, limit: 25, blockDuration: 2_000 },
  ];
  const steps = [0, 0, 1, 250, 999, 1_000, 1_500, 4_000, 11_000, 61_000];

  it.each([1, 2])(
    'allows and refuses exactly as the in-memory storage, with the same Retry-After (seed %i)',
    async (seed) => {
      const next = seededRandom(seed);
      let now = 1_700_000_000_000;
      const memory = new SlidingWindowThrottlerStorage(() => now);
      const shared = new RedisThrottlerStorage(redis, testRedisPrefix(), () => now);
      try {
        for (let i = 0; i < 1_500; i++) {
          now += pick(next, steps);
          const { key, ttl, limit, blockDuration } = pick(next, keys);
          const expected = await memory.increment(key, ttl, limit, blockDuration, 'default');
          const actual = await shared.increment(key, ttl, limit, blockDuration, 'default');
          // Retry-After comes from timeToBlockExpire, which only means something while blocked.
          const decision = (r: typeof actual) => ({
            isBlocked: r.isBlocked,
            ...(r.isBlocked ? { timeToBlockExpire: r.timeToBlockExpire } : {}),
          });
          expect({ i, key, ...decision(actual) }).toEqual({ i, key, ...decision(expected) });
          if (!actual.isBlocked) expect({ i, hits: actual.totalHits }).toEqual({ i, hits: expected.totalHits });
        }
      } finally {
        memory.onApplicationShutdown();
      }
    },
  );

  it('two instances count one limit together', async () => {
    const prefix = testRedisPrefix();
    const a = new RedisThrottlerStorage(redis, prefix);
    const b = new RedisThrottlerStorage(redis, prefix);
    const results = [];
    for (const storage of [a, b, a, b, a])
      results.push((await storage.increment('k', 60_000, 4, 60_000, 'chat')).isBlocked);
    expect(results).toEqual([false, false, false, false, true]);
  });
});
