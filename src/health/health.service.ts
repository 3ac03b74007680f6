import { Injectable } from '@nestjs/common';
import { TypeOrmHealthIndicator } from '@nestjs/terminus';
import { AppConfig } from '../config/app-config.js';
import { ReadinessDto } from './dto/health.dto.js';

@Injectable()
export class HealthService {
  constructor(
    private readonly db: TypeOrmHealthIndicator,
    private readonly config: AppConfig,
  ) {}

  async readiness(): Promise<ReadinessDto> {
    const started = performance.now();
    const result = await this.db.pingCheck('database', { timeout: 1500 });
    const up = result.database.status === 'up';
    return {
      status: up ? 'ready' : 'not_ready',
      database: up,
      llm_provider: this.config.llm.defaultProvider,
      llm_providers: this.config.llm.providers,
      database_kind: this.config.database.kind,
      ...(up ? { database_ms: Math.round((performance.now() - started) * 10) / 10 } : {}),
    };
  }
}
