import { Logger } from '@nestjs/common';
import { ClusterEvents, type ClusterChannel } from '../cluster-events.js';
import type { RedisConnections } from './redis-connections.js';

/** ClusterEvents over Redis pub/sub: every instance sharing REDIS_URL and REDIS_PREFIX hears every message. */
export class RedisClusterEvents extends ClusterEvents {
  private readonly logger = new Logger('ClusterEvents');

  constructor(private readonly redis: RedisConnections) {
    super();
  }

  async publish<T>(channel: ClusterChannel<T>, message: T): Promise<void> {
    await this.redis.command.publish(this.redis.key('events', channel.name), JSON.stringify(message));
  }

  subscribe<T>(channel: ClusterChannel<T>, handler: (message: T) => void): () => void {
    return this.redis.subscribe(this.redis.key('events', channel.name), (json) => {
      try {
        handler(JSON.parse(json) as T);
      } catch (err) {
        this.logger.error({ msg: 'cluster event handler failed', channel: channel.name, error: String(err) });
      }
    });
  }
}
