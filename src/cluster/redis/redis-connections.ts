import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';

/** How long boot waits for Redis before it fails with a clear message. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The two connections an instance keeps to Redis: one for commands, one in subscriber mode (pub/sub takes a
 * connection over). Commands fail at once while Redis is unreachable (no offline queue), so a Redis outage is an
 * error the caller handles, not a request that hangs; both connections reconnect on their own. Every key and
 * channel starts with `prefix` (REDIS_PREFIX), so several deployments, or test suites, can share one Redis.
 */
export class RedisConnections implements OnApplicationShutdown {
  private static readonly logger = new Logger('Redis');
  /** Open connections of this process, for a boot that fails after connecting (Nest gives no handle to close). */
  private static readonly opened = new Set<RedisConnections>();
  readonly command: Redis;
  readonly subscriber: Redis;
  private readonly handlers = new Map<string, Set<(message: string) => void>>();
  /** Per subscribed channel: settles once Redis has confirmed the SUBSCRIBE. */
  private readonly confirmed = new Map<string, Promise<unknown>>();
  private readonly lostListeners = new Set<() => void>();

  private constructor(
    url: string,
    readonly prefix: string,
  ) {
    const options = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
    };
    // Every command issued in one tick goes out in one write: hundreds of streams each append an event per frame,
    // and one socket write per command was what limited the streams held with Redis (BENCHMARKS.md).
    this.command = new Redis(url, { ...options, connectionName: 'agent-backend', enableAutoPipelining: true });
    this.subscriber = new Redis(url, { ...options, connectionName: 'agent-backend:subscriber' });
    for (const [name, connection] of [
      ['commands', this.command],
      ['subscriber', this.subscriber],
    ] as const) {
      // Without a listener an 'error' event would end the process; reconnecting is ioredis's job.
      connection.on('error', (err: Error) =>
        RedisConnections.logger.warn({ msg: 'redis connection error', connection: name, error: err.message }),
      );
    }
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) handler(message);
    });
    this.subscriber.on('close', () => {
      for (const listener of this.lostListeners) listener();
    });
  }

  /** Connects both, or fails boot with a message naming REDIS_URL. */
  static async connect(url: string, prefix: string): Promise<RedisConnections> {
    const redis = new RedisConnections(url, prefix);
    try {
      await Promise.all([redis.command.connect(), redis.subscriber.connect()]);
    } catch (err) {
      redis.command.disconnect();
      redis.subscriber.disconnect();
      throw new Error(`Redis at REDIS_URL is unreachable: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    RedisConnections.opened.add(redis);
    return redis;
  }

  /** Closes every connection this process opened and still holds; for a boot that failed half-way. */
  static async closeOpened(): Promise<void> {
    await Promise.allSettled([...RedisConnections.opened].map((redis) => redis.onApplicationShutdown()));
  }

  key(...parts: string[]): string {
    return `${this.prefix}${parts.join(':')}`;
  }

  /** True while the command connection is up. */
  get ready(): boolean {
    return this.command.status === 'ready';
  }

  async ping(timeoutMs: number): Promise<boolean> {
    if (!this.ready) return false;
    try {
      const pong = await Promise.race([
        this.command.ping(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
      ]);
      return pong === 'PONG';
    } catch {
      return false;
    }
  }

  /**
   * Calls `handler` with each message published on `channel` (already prefixed); several handlers share one
   * Redis subscription. Returns the unsubscribe function.
   */
  subscribe(channel: string, handler: (message: string) => void): () => void {
    let handlers = this.handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.handlers.set(channel, handlers);
      const confirmed = this.subscriber.subscribe(channel);
      confirmed.catch((err: unknown) =>
        RedisConnections.logger.warn({ msg: 'redis subscribe failed', channel, error: String(err) }),
      );
      this.confirmed.set(channel, confirmed);
    }
    handlers.add(handler);
    return () => {
      const set = this.handlers.get(channel);
      if (!set?.delete(handler) || set.size) return;
      this.handlers.delete(channel);
      this.confirmed.delete(channel);
      this.subscriber.unsubscribe(channel).catch(() => undefined);
    };
  }

  /**
   * Resolves once Redis has confirmed the subscription to `channel` (rejects if it failed): from then on every
   * message published on it reaches the handlers. Commands go out on another connection, which nothing orders
   * against this one, so a reader that must not miss a message waits for this before it reads what came before.
   */
  async subscribed(channel: string): Promise<void> {
    await this.confirmed.get(channel);
  }

  /** Calls `listener` whenever the subscriber connection drops (messages may have been missed). */
  onSubscriptionLost(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  async onApplicationShutdown(): Promise<void> {
    RedisConnections.opened.delete(this);
    await Promise.allSettled([this.command.quit(), this.subscriber.quit()]);
  }
}
