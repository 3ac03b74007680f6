import type { RedisConnections } from '../../cluster/redis/redis-connections.js';
import { TooManyActiveRuns } from '../runs.errors.js';
import { RunSlots, type RunSlotLimits, type RunSlotOwner } from './run-slots.js';

/**
 * Takes a slot in each of the caps at once or in none: each cap is a sorted set of run ids scored by their lease's
 * end; leases past their end (an instance that died) are dropped first. Returns 0, or the cap that is full.
 */
const ACQUIRE = `
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
for i = 1, #KEYS do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now) end
for i = 1, #KEYS do
  if redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[3 + i]) then return i end
end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now + lease, ARGV[3])
  redis.call('PEXPIRE', KEYS[i], lease * 2)
end
return 0`;

type Cap = 'user' | 'server' | 'address';

/**
 * The caps on active runs counted once across instances (REDIS_URL). A slot is a lease: the instance driving the
 * run renews it with its heartbeat, so the slots of an instance that died free themselves when their leases end.
 */
export class RedisRunSlots extends RunSlots {
  /** The caps each run driven here holds a slot in, for renewal. */
  private readonly held = new Map<string, string[]>();

  constructor(
    private readonly redis: RedisConnections,
    private readonly limits: RunSlotLimits,
    private readonly leaseMs: number,
  ) {
    super();
    this.redis.command.defineCommand('acquireRunSlot', { lua: ACQUIRE });
  }

  async acquire(owner: RunSlotOwner): Promise<() => void> {
    const caps: Array<[Cap, string, number]> = [
      ['user', this.redis.key('slots', 'user', owner.userId), this.limits.perUser],
      ['server', this.redis.key('slots', 'all'), this.limits.total],
    ];
    if (owner.address !== undefined) {
      caps.push(['address', this.redis.key('slots', 'address', owner.address), this.limits.perAddress]);
    }
    const keys = caps.map(([, key]) => key);
    const full = await (
      this.redis.command as unknown as { acquireRunSlot(...args: Array<string | number>): Promise<number> }
    ).acquireRunSlot(keys.length, ...keys, Date.now(), this.leaseMs, owner.runId, ...caps.map(([, , limit]) => limit));
    if (full) {
      const [cap, , limit] = caps[full - 1];
      throw new TooManyActiveRuns(cap, limit);
    }
    this.held.set(owner.runId, keys);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held.delete(owner.runId);
      const pipeline = this.redis.command.pipeline();
      for (const key of keys) pipeline.zrem(key, owner.runId);
      // A release that cannot reach Redis is left to the lease.
      pipeline.exec().catch(() => undefined);
    };
  }

  async renew(runIds: string[]): Promise<void> {
    const pipeline = this.redis.command.pipeline();
    const until = Date.now() + this.leaseMs;
    for (const runId of runIds) {
      for (const key of this.held.get(runId) ?? []) pipeline.zadd(key, 'XX', until, runId);
    }
    if (pipeline.length) await pipeline.exec();
  }
}
