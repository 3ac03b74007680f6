import { ThrottlerStorageService } from '@nestjs/throttler';
import { SlidingWindowThrottlerStorage } from './sliding-window.storage.js';
import { pick, seededRandom } from '../../../test/support/seeded-random.js';

describe('SlidingWindowThrottlerStorage', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  // Limits above 16 make the hit ring grow and wrap; blockDuration 0 is the no-block path; jumps past a minute let
  // both sweeps evict idle keys.
  const keys = [
    { key: 'a', ttl: 10_000, limit: 3, blockDuration: 10_000 },
    { key: 'b', ttl: 10_000, limit: 5, blockDuration: 0 },
    { key: 'c', ttl: 60_000, limit: 40, blockDuration: 60_000 },
    { key: 'd', ttl: 5_000, limit: 25, blockDuration: 2_000 },
  ];
  const steps = [0, 0, 1, 250, 999, 1_000, 1_500, 4_000, 11_000, 61_000];

  it.each([1, 2, 3, 4, 5])('answers exactly like the stock storage (seed %i)', async (seed) => {
    const next = seededRandom(seed);
    const stock = new ThrottlerStorageService();
    const ours = new SlidingWindowThrottlerStorage(() => Date.now());
    try {
      for (let i = 0; i < 4_000; i++) {
        jest.advanceTimersByTime(pick(next, steps));
        const { key, ttl, limit, blockDuration } = pick(next, keys);
        const expected = await stock.increment(key, ttl, limit, blockDuration, 'default');
        const actual = await ours.increment(key, ttl, limit, blockDuration, 'default');
        expect({ i, ...actual }).toEqual({ i, ...expected });
      }
    } finally {
      stock.onApplicationShutdown();
      ours.onApplicationShutdown();
    }
  });

  it('blocks over the limit for blockDuration, then counts afresh', async () => {
    const storage = new SlidingWindowThrottlerStorage(() => Date.now());
    const hit = () => storage.increment('k', 60_000, 2, 30_000, 'default');
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false, timeToExpire: 60 });
    expect(await hit()).toMatchObject({ totalHits: 2, isBlocked: false });
    expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: true, timeToBlockExpire: 30 });
    jest.advanceTimersByTime(29_000);
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
    jest.advanceTimersByTime(1_000);
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
    storage.onApplicationShutdown();
  });
});
