import { ApiProperty } from '@nestjs/swagger';
import { LLM_PROVIDER_NAMES, type LlmProviderName } from '../../config/app-config.js';

export class LivenessDto {
  @ApiProperty({ example: 'ok', enum: ['ok'] })
  status: 'ok';
}

export class ReadinessDto {
  @ApiProperty({ example: 'ready', enum: ['ready', 'not_ready'] })
  status: 'ready' | 'not_ready';

  @ApiProperty({ example: true, description: 'The database answered a ping within 1.5 s' })
  database: boolean;

  @ApiProperty({ example: 'offline', enum: LLM_PROVIDER_NAMES, description: 'For agents that name no provider' })
  llm_provider: LlmProviderName;

  @ApiProperty({
    example: ['offline'],
    enum: LLM_PROVIDER_NAMES,
    isArray: true,
    description: 'Every provider this instance can run agents on (`offline` always)',
  })
  llm_providers: LlmProviderName[];

  @ApiProperty({ example: 'pglite', enum: ['postgres', 'pglite'] })
  database_kind: 'postgres' | 'pglite';

  @ApiProperty({ example: 3.2, description: 'Database ping time in ms (absent when it failed)', required: false })
  database_ms?: number;

  @ApiProperty({
    example: true,
    required: false,
    description:
      'Present when REDIS_URL is set: Redis answered a ping within 1.5 s (false makes the instance not ready)',
  })
  redis?: boolean;
}
