import { ApiProperty } from '@nestjs/swagger';
import { TASK_STATUSES, TASK_TYPES, type TaskStatus, type TaskType } from '../entities/task.entity.js';

export class TaskErrorDto {
  @ApiProperty({ example: 'UNPROCESSABLE' })
  code: string;

  @ApiProperty({ example: 'The document contains no indexable text' })
  message: string;
}

/** `202` to `POST /api/tasks`: the task as queued (or, for a repeated idempotency key, the first one). */
export class AcceptedTaskDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: TASK_TYPES, example: 'document.ingest' })
  type: TaskType;

  @ApiProperty({ enum: TASK_STATUSES, example: 'queued' })
  status: TaskStatus;

  @ApiProperty({ format: 'date-time' })
  created_at: string;
}

export class TaskDto extends AcceptedTaskDto {
  @ApiProperty({ minimum: 0, maximum: 1, example: 0.25, description: 'Share of the work done, 0..1' })
  progress: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      '`agent.run`: `{conversation_id, run_id, message: {role, content}}`; `document.ingest`: the document. Null until completed',
  })
  result: Record<string, unknown> | null;

  @ApiProperty({ type: TaskErrorDto, nullable: true, description: 'Why the task failed; null otherwise' })
  error: TaskErrorDto | null;

  @ApiProperty({ example: 1, description: 'Attempts started (a retried failure, or a worker that died, adds one)' })
  attempts: number;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  started_at: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  finished_at: string | null;
}

export class CancelTaskResponseDto {
  @ApiProperty({ description: 'True when the task was queued or running and is now cancelled' })
  cancelled: boolean;
}
