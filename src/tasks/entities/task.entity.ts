import { Column, Entity, PrimaryColumn } from 'typeorm';

export const TASK_TYPES = ['agent.run', 'document.ingest'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const TASK_STATUSES = ['queued', 'active', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface TaskError {
  code: string;
  message: string;
}

@Entity({ name: 'tasks' })
export class TaskEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 32 })
  type: TaskType;

  @Column({ type: 'jsonb' })
  input: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16 })
  status: TaskStatus;

  @Column({ type: 'double precision' })
  progress: number;

  @Column({ type: 'jsonb', nullable: true })
  result: Record<string, unknown> | null;

  @Column({ type: 'jsonb', nullable: true })
  error: TaskError | null;

  /** Attempts started; also the fence of every save an attempt makes. */
  @Column({ type: 'integer' })
  attempts: number;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 200, nullable: true })
  idempotencyKey: string | null;

  /** `agent.run`: the run the latest attempt started or follows. */
  @Column({ name: 'run_id', type: 'uuid', nullable: true })
  runId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
