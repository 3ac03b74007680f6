import { Module } from '@nestjs/common';
import { REDIS } from '../cluster/cluster.module.js';
import type { RedisConnections } from '../cluster/redis/redis-connections.js';
import { AppConfig } from '../config/app-config.js';
import { MemoryRunEventLog } from './event-log/memory-run-event-log.js';
import { RedisRunEventLog } from './event-log/redis-run-event-log.js';
import { RunEventLog } from './event-log/run-event-log.js';
import { RunControl } from './run-control.js';
import { MemoryRunSlots } from './slots/memory-run-slots.js';
import { RedisRunSlots } from './slots/redis-run-slots.js';
import { RunSlots } from './slots/run-slots.js';

/** A slot's lease outlasts this many missed heartbeats before it frees itself. */
const LEASE_HEARTBEATS = 4;

/**
 * What every run needs whatever feature starts it: its event log, the caps on active runs, and the control that
 * reaches a run wherever it is driven. In one process these are in memory; with REDIS_URL, shared through Redis.
 */
@Module({
  providers: [
    {
      provide: RunEventLog,
      inject: [AppConfig, REDIS],
      useFactory: (config: AppConfig, redis: RedisConnections | null) =>
        redis
          ? new RedisRunEventLog(redis, config.runs.eventsTtlSeconds)
          : new MemoryRunEventLog(config.runs.eventsTtlSeconds * 1000, config.runs.eventsMemoryBytes),
    },
    {
      provide: RunSlots,
      inject: [AppConfig, REDIS],
      useFactory: (config: AppConfig, redis: RedisConnections | null) => {
        const limits = {
          perUser: config.runs.maxPerUser,
          perAddress: config.runs.maxPerAddress,
          total: config.runs.maxTotal,
        };
        return redis
          ? new RedisRunSlots(redis, limits, config.runs.heartbeatMs * LEASE_HEARTBEATS)
          : new MemoryRunSlots(limits);
      },
    },
    RunControl,
  ],
  exports: [RunEventLog, RunSlots, RunControl],
})
export class RunsModule {}
