import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the Redis-backed specs run against: set by `.ci/run` (and by you, to run them). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || undefined;

/**
 * `describe` for specs that need Redis: skipped without TEST_REDIS_URL (a bare machine), but a failure when
 * REQUIRE_REDIS_TESTS=1 (CI), so they never go quietly unrun there.
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (!TEST_REDIS_URL && process.env.REQUIRE_REDIS_TESTS === '1') {
    describe(name, () => {
      it('needs TEST_REDIS_URL', () => {
        throw new Error('REQUIRE_REDIS_TESTS=1 but TEST_REDIS_URL is unset');
      });
    });
    return;
  }
  if (TEST_REDIS_URL) {
    describe(name, body);
    return;
  }
  // Not `describe.skip(name, body)`: a skipped describe still runs its body, and a client made there would connect.
  describe.skip(name, () => {
    it('needs TEST_REDIS_URL', () => undefined);
  });
}

/** A key prefix of this test's own, so suites never see each other's keys. */
export function testRedisPrefix(): string {
  return `test:${randomBytes(6).toString('hex')}:`;
}

/** A plain client on the test Redis (for assertions and cleanup). */
export function testRedisClient(): Redis {
  if (!TEST_REDIS_URL) throw new Error('TEST_REDIS_URL is unset: wrap the suite in describeWithRedis');
  return new Redis(TEST_REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
}
