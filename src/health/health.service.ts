import { Inject, Injectable } from '@nestjs/common';
import { TypeOrmHealthIndicator } from '@nestjs/terminus';
import { REDIS } from '../cluster/cluster.module.js';
import type { RedisConnections } from '../cluster/redis/redis-connections.js';
import { AppConfig } from '../config/app-config.js';
import { ReadinessDto } from './dto/health.dto.js';

@Injectable()
export class HealthService {
  constructor(
    private readonly db: TypeOrmHealthIndicator,
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: RedisConnections | null,
  ) {}

  async readiness(): Promise<ReadinessDto> {
    const started = performance.now();
    const [result, redis] = await Promise.all([
      this.db.pingCheck('database', { timeout: 1500 }),
      this.redis?.ping(1500),
    ]);
    const up = result.database.status === 'up';
    return {
      status: up && redis !== false ? 'ready' : 'not_ready',
      database: up,
      ...(redis === undefined ? {} : { redis }),
      llm_provider: this.config.llm.defaultProvider,
      llm_providers: this.config.llm.providers,
      database_kind: this.config.database.kind,
      ...(up ? { database_ms: Math.round((performance.now() - started) * 10) / 10 } : {}),
    };
  }
}
