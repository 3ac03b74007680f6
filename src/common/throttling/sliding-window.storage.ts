import type { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const SWEEP_INTERVAL_MS = 60_000;
const INITIAL_CAPACITY = 16;

/**
 * The expiry times of one key's hits, oldest first, in a growable ring: a hit is appended, expired hits leave from
 * the front. Times only grow (one ttl per key and a monotonic clock), so the front is always the next to expire.
 */
class HitQueue {
  private times = new Float64Array(INITIAL_CAPACITY);
  private head = 0;
  size = 0;

  push(expiresAt: number): void {
    if (this.size === this.times.length) this.grow();
    this.times[(this.head + this.size) % this.times.length] = expiresAt;
    this.size++;
  }

  /** Drops the hits expired by `now`. */
  prune(now: number): void {
    while (this.size > 0 && this.times[this.head] <= now) {
      this.head = (this.head + 1) % this.times.length;
      this.size--;
    }
  }

  /** When the oldest live hit expires (undefined when none is live). */
  oldest(): number | undefined {
    return this.size > 0 ? this.times[this.head] : undefined;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  private grow(): void {
    const next = new Float64Array(this.times.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.times[(this.head + i) % this.times.length];
    this.times = next;
    this.head = 0;
  }
}

interface KeyRecord {
  expiresAt: number;
  isBlocked: boolean;
  blockExpiresAt: number;
  hits: Map<string, HitQueue>;
}

const monotonicMs = () => performance.timeOrigin + performance.now();
const secondsUntil = (at: number, now: number) => Math.ceil((at - now) / 1000);

/**
 * @nestjs/throttler's in-memory storage with the same sliding-window semantics (every hit counts for `ttl`; over
 * `limit`, the key is blocked for `blockDuration`), at O(1) per request. The stock ThrottlerStorageService copies
 * the key's whole hit list on every request and spreads it into Math.min: measured 40-72 µs a request for a user at
 * 600 hits a minute (our default limit), 177-239 µs at 5,000 and 2.8-3.0 ms at 40,000 (this store: 0.5-4 µs), plus
 * an array of that size for the garbage collector each time. A differential test checks both answer alike. A key's
 * ring keeps the size of its busiest minute (at most `limit` + 1 entries) until the key goes idle and is swept.
 */
export class SlidingWindowThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly records = new Map<string, KeyRecord>();
  private sweeper?: NodeJS.Timeout;

  constructor(private readonly now: () => number = monotonicMs) {}

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    this.sweeper ??= setInterval(() => this.evictIdle(), SWEEP_INTERVAL_MS).unref();
    const now = this.now();
    let record = this.records.get(key);
    if (!record) {
      record = { expiresAt: now + ttl, isBlocked: false, blockExpiresAt: 0, hits: new Map() };
      this.records.set(key, record);
    }
    let hits = record.hits.get(throttlerName);
    if (!hits) {
      hits = new HitQueue();
      record.hits.set(throttlerName, hits);
    }
    hits.prune(now);
    // The key's window restarts once over, as in the stock storage (it drives the X-RateLimit-Reset header).
    if (secondsUntil(record.expiresAt, now) <= 0) record.expiresAt = now + ttl;
    const timeToExpire = secondsUntil(record.expiresAt, now);
    return Promise.resolve(
      blockDuration <= 0
        ? this.countWithoutBlock(hits, now, ttl, limit, timeToExpire)
        : this.countWithBlock(record, hits, now, ttl, limit, blockDuration, timeToExpire),
    );
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.records.clear();
  }

  /** Over the limit, this request is refused and not counted; the key frees up as its oldest hits expire. */
  private countWithoutBlock(
    hits: HitQueue,
    now: number,
    ttl: number,
    limit: number,
    timeToExpire: number,
  ): ThrottlerStorageRecord {
    const isBlocked = hits.size >= limit;
    if (!isBlocked) hits.push(now + ttl);
    const oldest = hits.oldest();
    return {
      totalHits: hits.size + (isBlocked ? 1 : 0),
      timeToExpire,
      isBlocked,
      timeToBlockExpire: isBlocked ? (oldest === undefined ? timeToExpire : secondsUntil(oldest, now)) : 0,
    };
  }

  /** The request over the limit blocks the key for `blockDuration`; blocked requests are not counted. */
  private countWithBlock(
    record: KeyRecord,
    hits: HitQueue,
    now: number,
    ttl: number,
    limit: number,
    blockDuration: number,
    timeToExpire: number,
  ): ThrottlerStorageRecord {
    if (!record.isBlocked) hits.push(now + ttl);
    if (hits.size > limit && !record.isBlocked) {
      record.isBlocked = true;
      record.blockExpiresAt = now + blockDuration;
    }
    const timeToBlockExpire = secondsUntil(record.blockExpiresAt, now);
    if (timeToBlockExpire <= 0 && record.isBlocked) {
      record.isBlocked = false;
      hits.clear();
      hits.push(now + ttl);
    }
    return { totalHits: hits.size, timeToExpire, isBlocked: record.isBlocked, timeToBlockExpire };
  }

  /** Forgets keys with nothing left to remember: no live hit, no block, window over. */
  private evictIdle(): void {
    const now = this.now();
    for (const [key, record] of this.records) {
      if (record.isBlocked && record.blockExpiresAt > now) continue;
      if (record.expiresAt > now) continue;
      let live = false;
      for (const hits of record.hits.values()) {
        hits.prune(now);
        live ||= hits.size > 0;
      }
      if (!live) this.records.delete(key);
    }
  }
}
