import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * The sliding window of SlidingWindowThrottlerStorage in one atomic script: every hit counts for `ttl` (a sorted set
 * of hits scored by their expiry); past `limit` the key is blocked for `blockDuration` and its hits are forgotten,
 * so it starts afresh once the block ends. Returns total hits, seconds until the oldest hit expires, blocked (0/1),
 * seconds until the block ends. Times are the caller's clock; Redis expiries (a minute past them) only clean up.
 */
const INCREMENT = `
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local block = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local blockedUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
if blockedUntil > now then
  return {redis.call('ZCARD', KEYS[1]) + 1, 0, 1, math.ceil((blockedUntil - now) / 1000)}
end
if block <= 0 and redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {limit + 1, 0, 1, math.ceil((tonumber(oldest[2]) - now) / 1000)}
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[5])
redis.call('PEXPIRE', KEYS[1], ttl + 60000)
local hits = redis.call('ZCARD', KEYS[1])
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local expires = math.ceil((tonumber(oldest[2]) - now) / 1000)
if block > 0 and hits > limit then
  redis.call('SET', KEYS[2], now + block, 'PX', block + 60000)
  redis.call('DEL', KEYS[1])
  return {hits, expires, 1, math.ceil(block / 1000)}
end
return {hits, expires, 0, 0}`;

/**
 * @nestjs/throttler's storage over Redis, for instances that must count one limit together (REDIS_URL): the chat
 * limit, login throttling per account and address, registration per address. Same semantics as the in-memory
 * SlidingWindowThrottlerStorage; a differential spec runs both.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private sequence = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {
    this.redis.defineCommand('throttle', { numberOfKeys: 2, lua: INCREMENT });
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const base = `${this.prefix}throttle:${throttlerName}:${key}`;
    // Unique per hit, so two hits in one millisecond both count.
    const member = `${this.now()}:${process.pid}:${++this.sequence}:${Math.random().toString(36).slice(2, 8)}`;
    const [totalHits, timeToExpire, blocked, timeToBlockExpire] = await (
      this.redis as unknown as { throttle(...args: Array<string | number>): Promise<number[]> }
    ).throttle(`${base}:hits`, `${base}:block`, this.now(), ttl, limit, blockDuration, member);
    return { totalHits, timeToExpire, isBlocked: blocked === 1, timeToBlockExpire };
  }
}
