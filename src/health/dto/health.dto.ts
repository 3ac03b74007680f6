import { ApiProperty } from '@nestjs/swagger';

export class LivenessDto {
  @ApiProperty({ example: 'ok', enum: ['ok'] })
  status: 'ok';
}

export class ReadinessDto {
  @ApiProperty({ example: 'ready', enum: ['ready', 'not_ready'] })
  status: 'ready' | 'not_ready';

  @ApiProperty({ example: true, description: 'The database answered a ping within 1.5 s' })
  database: boolean;

  @ApiProperty({ example: 'offline', enum: ['anthropic', 'offline'] })
  llm_provider: 'anthropic' | 'offline';

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
