import { Logger, type OnModuleDestroy } from '@nestjs/common';
import type { RedisConnections } from '../../cluster/redis/redis-connections.js';
import type { LoggedRunEvent, RunStreamEvent } from '../run-stream-event.js';
import { MemoryRunEventLog } from './memory-run-event-log.js';
import { RunEventLog } from './run-event-log.js';
import { waitForWake } from './wait-for-wake.js';

/** A run's stream outlives a dead driver by this much if no sweep ever ends it. */
const ORPHAN_GRACE_S = 86_400;
/** Live followers on this instance are served from memory; finished logs there are dropped at once. */
const LOCAL_BYTES = 0;

/**
 * Appends events after whatever the stream holds, with the ids Redis gives them (`0-*`: the next sequence number),
 * publishes each, and sets the stream's expiry: the end of a run whose driver died, written by another instance.
 */
const END_ORPHAN = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 2, #ARGV do
  local id = redis.call('XADD', KEYS[1], '0-*', 'e', ARGV[i])
  redis.call('PUBLISH', KEYS[2], string.match(id, '%-(%d+)$') .. '|' .. ARGV[i])
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1`;

interface Writer {
  lost: boolean;
  onLost?: (err: unknown) => void;
}

/**
 * Run event logs as Redis Streams, one per run (`<prefix>run:<id>:events`, entry ids `0-<event id>`), so any
 * instance can replay and follow any run. The driving instance also keeps its live runs' events in memory, for its
 * own followers and to number events without a round trip; each event is added to the stream and published on the
 * run's channel in the order appended (one connection keeps the order). Followers elsewhere subscribe, replay from
 * the stream, then take published events, filling any gap from the stream. If Redis fails under a run, the run is
 * told (`onLost`) and its events stay local; a follower elsewhere whose subscription drops ends with an error event.
 */
export class RedisRunEventLog extends RunEventLog implements OnModuleDestroy {
  private readonly logger = new Logger(RedisRunEventLog.name);
  private readonly local = new MemoryRunEventLog(0, LOCAL_BYTES);
  private readonly writers = new Map<string, Writer>();

  constructor(
    private readonly redis: RedisConnections,
    private readonly ttlSeconds: number,
  ) {
    super();
    this.redis.command.defineCommand('endRunLog', { numberOfKeys: 2, lua: END_ORPHAN });
  }

  open(runId: string, onLost?: (err: unknown) => void): void {
    this.local.open(runId);
    this.writers.set(runId, { lost: false, onLost });
  }

  append(runId: string, event: RunStreamEvent): number {
    const id = this.local.append(runId, event);
    const writer = this.writers.get(runId);
    if (writer && !writer.lost) {
      const json = JSON.stringify(event);
      const key = this.streamKey(runId);
      const redis = this.redis.command;
      // One connection, so the three stay in order; auto-pipelining batches them with other runs' appends.
      void Promise.all([
        redis.xadd(key, `0-${id}`, 'e', json),
        id === 1 ? redis.expire(key, this.ttlSeconds + ORPHAN_GRACE_S) : undefined,
        redis.publish(this.channel(runId), `${id}|${json}`),
      ]).catch((err: unknown) => this.lose(runId, writer, err));
    }
    return id;
  }

  close(runId: string): void {
    const writer = this.writers.get(runId);
    this.writers.delete(runId);
    this.local.close(runId);
    // Local followers keep the log they hold; new ones read the stream.
    this.local.discard(runId);
    if (writer && !writer.lost) {
      this.redis.command
        .expire(this.streamKey(runId), this.ttlSeconds)
        .catch((err: unknown) =>
          this.logger.warn({ msg: 'could not set a run log expiry', run_id: runId, error: String(err) }),
        );
    }
  }

  discard(runId: string): void {
    this.writers.delete(runId);
    this.local.discard(runId);
  }

  async follow(runId: string, after: number, signal: AbortSignal): Promise<AsyncIterable<LoggedRunEvent> | undefined> {
    const local = await this.local.follow(runId, after, signal);
    if (local) return local;
    return this.followRemote(runId, after, signal);
  }

  async lastId(runId: string): Promise<number | undefined> {
    const local = await this.local.lastId(runId);
    if (local !== undefined) return local;
    const [last] = await this.redis.command.xrevrange(this.streamKey(runId), '+', '-', 'COUNT', 1);
    return last ? sequenceOf(last[0]) : undefined;
  }

  async endOrphan(runId: string, events: RunStreamEvent[]): Promise<void> {
    await (
      this.redis.command as unknown as {
        endRunLog(...args: Array<string | number>): Promise<number>;
      }
    ).endRunLog(this.streamKey(runId), this.channel(runId), this.ttlSeconds, ...events.map((e) => JSON.stringify(e)));
  }

  onModuleDestroy(): void {
    this.local.onModuleDestroy();
  }

  private async followRemote(
    runId: string,
    after: number,
    signal: AbortSignal,
  ): Promise<AsyncIterable<LoggedRunEvent> | undefined> {
    const published: LoggedRunEvent[] = [];
    let lost = false;
    let wake: (() => void) | undefined;
    const unsubscribe = this.redis.subscribe(this.channel(runId), (message) => {
      const bar = message.indexOf('|');
      published.push({
        id: Number(message.slice(0, bar)),
        event: JSON.parse(message.slice(bar + 1)) as RunStreamEvent,
      });
      wake?.();
    });
    const unwatch = this.redis.onSubscriptionLost(() => {
      lost = true;
      wake?.();
    });
    const stop = () => {
      unsubscribe();
      unwatch();
    };
    try {
      // Subscribed first: whatever is published from here on is heard, and the replay below covers the rest.
      await this.redis.subscribed(this.channel(runId));
      if (!(await this.redis.command.exists(this.streamKey(runId)))) {
        stop();
        return undefined;
      }
    } catch (err) {
      stop();
      throw err;
    }
    const range = async (from: number, to: number | '+') =>
      (await this.redis.command.xrange(this.streamKey(runId), `0-${from}`, to === '+' ? '+' : `0-${to}`)).map(
        ([id, fields]) => ({ id: sequenceOf(id), event: JSON.parse(fields[1]) as RunStreamEvent }),
      );
    const logger = this.logger;
    return (async function* follow(): AsyncGenerator<LoggedRunEvent> {
      let last = after;
      try {
        for (const entry of await range(after + 1, '+')) {
          last = entry.id;
          yield entry;
          if (entry.event.type === 'run_finished') return;
        }
        for (;;) {
          while (published.length) {
            const next = published.shift()!;
            if (next.id <= last) continue;
            // A gap (published while the replay was read, or missed): fill it from the stream.
            const missing = next.id > last + 1 ? await range(last + 1, next.id - 1) : [];
            for (const entry of [...missing, next]) {
              last = entry.id;
              yield entry;
              if (entry.event.type === 'run_finished') return;
            }
          }
          if (signal.aborted) return;
          if (lost) {
            yield {
              id: 0,
              event: {
                type: 'error',
                code: 'SERVICE_UNAVAILABLE',
                message: 'The run event store (Redis) became unavailable; resume with Last-Event-ID',
                recoverable: true,
              },
            };
            return;
          }
          await waitForWake((resolve) => (wake = resolve), signal);
          wake = undefined;
        }
      } catch (err) {
        logger.warn({ msg: 'following a run from Redis failed', run_id: runId, error: String(err) });
        yield {
          id: 0,
          event: {
            type: 'error',
            code: 'SERVICE_UNAVAILABLE',
            message: 'The run event store (Redis) is unavailable; resume with Last-Event-ID',
            recoverable: true,
          },
        };
      } finally {
        stop();
      }
    })();
  }

  private lose(runId: string, writer: Writer, err: unknown): void {
    if (writer.lost) return;
    writer.lost = true;
    this.logger.error({ msg: 'a run event could not be stored in Redis', run_id: runId, error: String(err) });
    writer.onLost?.(err);
  }

  private streamKey(runId: string): string {
    return this.redis.key('run', runId, 'events');
  }

  private channel(runId: string): string {
    return this.redis.key('run', runId);
  }
}

function sequenceOf(streamId: string): number {
  return Number(streamId.slice(streamId.indexOf('-') + 1));
}
