import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, Matches } from 'class-validator';
import { TASK_TYPES, type TaskType } from '../entities/task.entity.js';
import { AgentRunInputDto } from './agent-run-input.dto.js';
import { DocumentIngestInputDto } from './document-ingest-input.dto.js';

export class CreateTaskDto {
  @ApiProperty({ enum: TASK_TYPES, example: 'document.ingest' })
  @IsIn(TASK_TYPES)
  type: TaskType;

  @ApiProperty({
    description:
      '`agent.run`: `{messages, agent?, conversation_id?}`; `document.ingest`: `{title?, content}` or `{title?, upload_id}`',
    oneOf: [{ $ref: getSchemaPath(AgentRunInputDto) }, { $ref: getSchemaPath(DocumentIngestInputDto) }],
  })
  @IsObject()
  input: Record<string, unknown>;

  @ApiPropertyOptional({
    example: 'import-2026-12-01-batch-7',
    description: 'A second submission with the same key returns the first task instead of queueing another',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[\x21-\x7e]{1,200}$/, { message: 'idempotency_key must be 1 to 200 visible ASCII characters' })
  idempotency_key?: string;
}
