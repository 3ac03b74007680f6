import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { ClusterEvents } from './cluster-events.js';
import { Instance } from './instance.js';
import { LocalClusterEvents } from './local-cluster-events.js';
import { RedisClusterEvents } from './redis/redis-cluster-events.js';
import { RedisConnections } from './redis/redis-connections.js';

/** The Redis connections when REDIS_URL is set, else null (one process, everything in memory). */
export const REDIS = Symbol('REDIS');

/**
 * What instances of the service share: this instance's identity, the events all of them hear, and (with
 * REDIS_URL) the Redis connections the shared state lives in. Global, like the configuration.
 */
@Module({})
export class ClusterModule {
  static forRoot(config: AppConfig): DynamicModule {
    const redis = config.redis;
    return {
      module: ClusterModule,
      global: true,
      providers: [
        Instance,
        {
          provide: REDIS,
          useFactory: () => (redis ? RedisConnections.connect(redis.url, redis.prefix) : null),
        },
        {
          provide: ClusterEvents,
          inject: [REDIS],
          useFactory: (connections: RedisConnections | null) =>
            connections ? new RedisClusterEvents(connections) : new LocalClusterEvents(),
        },
      ],
      exports: [Instance, REDIS, ClusterEvents],
    };
  }
}
