import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TaskEntity, type TaskError, type TaskStatus, type TaskType } from './entities/task.entity.js';

const UNFINISHED = `('queued', 'active')`;

interface TaskRow {
  id: string;
  user_id: string;
  type: TaskType;
  input: Record<string, unknown>;
  status: TaskStatus;
  progress: number;
  result: Record<string, unknown> | null;
  error: TaskError | null;
  attempts: number;
  idempotency_key: string | null;
  run_id: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

function toEntity(row: TaskRow): TaskEntity {
  return Object.assign(new TaskEntity(), {
    id: row.id,
    userId: row.user_id,
    type: row.type,
    input: row.input,
    status: row.status,
    progress: Number(row.progress),
    result: row.result,
    error: row.error,
    attempts: row.attempts,
    idempotencyKey: row.idempotency_key,
    runId: row.run_id,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  });
}

/**
 * Task records. Reads for clients are scoped by user. Every save an attempt makes is fenced by its attempt number
 * and the `active` status: a later attempt, a cancel or a give-up decided meanwhile is never overwritten.
 */
@Injectable()
export class TasksRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Stores a new task; with an idempotency key already used by the user, resolves to that task instead. */
  async create(task: {
    id: string;
    userId: string;
    type: TaskType;
    input: Record<string, unknown>;
    idempotencyKey: string | null;
  }): Promise<{ task: TaskEntity; created: boolean }> {
    const rows = await this.db.query<TaskRow[]>(
      `INSERT INTO tasks (id, user_id, type, input, idempotency_key) VALUES ($1, $2, $3, $4::jsonb, $5)
       ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING *`,
      [task.id, task.userId, task.type, JSON.stringify(task.input), task.idempotencyKey],
    );
    if (rows.length) return { task: toEntity(rows[0]), created: true };
    const first = await this.findByIdempotencyKey(task.userId, task.idempotencyKey!);
    if (!first) throw new Error('A task vanished after an idempotency-key conflict');
    return { task: first, created: false };
  }

  async delete(id: string): Promise<void> {
    await this.db.getRepository(TaskEntity).delete({ id });
  }

  findByIdempotencyKey(userId: string, key: string): Promise<TaskEntity | null> {
    return this.db.getRepository(TaskEntity).findOneBy({ userId, idempotencyKey: key });
  }

  findOwned(userId: string, id: string): Promise<TaskEntity | null> {
    return this.db.getRepository(TaskEntity).findOneBy({ id, userId });
  }

  findById(id: string): Promise<TaskEntity | null> {
    return this.db.getRepository(TaskEntity).findOneBy({ id });
  }

  /** The user's tasks, newest first. */
  list(userId: string, limit: number, offset: number): Promise<TaskEntity[]> {
    return this.db.getRepository(TaskEntity).find({
      where: { userId },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
      skip: offset,
    });
  }

  /** Ids of the tasks not finished, oldest first (what a one-process queue takes up again at boot). */
  async unfinishedIds(): Promise<string[]> {
    const rows = await this.db.query<Array<{ id: string }>>(
      `SELECT id FROM tasks WHERE status IN ${UNFINISHED} ORDER BY created_at, id`,
    );
    return rows.map((r) => r.id);
  }

  /**
   * Starts an attempt: a queued task, or an active one whose worker stopped (its queue handed it over), becomes
   * active with one more attempt, if it has attempts left. Resolves to the task as started, or null.
   */
  async claim(id: string, maxAttempts: number): Promise<TaskEntity | null> {
    const rows = await this.db.query<[TaskRow[], number]>(
      `UPDATE tasks SET status = 'active', attempts = attempts + 1, started_at = coalesce(started_at, now())
       WHERE id = $1 AND status IN ${UNFINISHED} AND attempts < $2
       RETURNING *`,
      [id, maxAttempts],
    );
    const [row] = rows[0];
    return row ? toEntity(row) : null;
  }

  /** A task still unfinished with no attempts left (its workers kept dying): failed with `error`. */
  async giveUp(id: string, maxAttempts: number, error: TaskError): Promise<boolean> {
    return this.update(
      `UPDATE tasks SET status = 'failed', error = $3::jsonb, finished_at = now()
       WHERE id = $1 AND status IN ${UNFINISHED} AND attempts >= $2`,
      [id, maxAttempts, JSON.stringify(error)],
    );
  }

  setProgress(id: string, attempt: number, progress: number): Promise<boolean> {
    return this.fenced(id, attempt, `progress = $3`, [progress]);
  }

  setRunId(id: string, attempt: number, runId: string): Promise<boolean> {
    return this.fenced(id, attempt, `run_id = $3`, [runId]);
  }

  complete(id: string, attempt: number, result: Record<string, unknown>): Promise<boolean> {
    return this.fenced(id, attempt, `status = 'completed', progress = 1, result = $3::jsonb, finished_at = now()`, [
      JSON.stringify(result),
    ]);
  }

  fail(id: string, attempt: number, error: TaskError): Promise<boolean> {
    return this.fenced(id, attempt, `status = 'failed', error = $3::jsonb, finished_at = now()`, [
      JSON.stringify(error),
    ]);
  }

  /** The attempt ended in a retryable failure: queued again for the next one. */
  requeue(id: string, attempt: number): Promise<boolean> {
    return this.fenced(id, attempt, `status = 'queued'`, []);
  }

  /** A run the task followed was stopped by someone else: the task ends `cancelled`. */
  cancelled(id: string, attempt: number): Promise<boolean> {
    return this.fenced(id, attempt, `status = 'cancelled', finished_at = now()`, []);
  }

  /**
   * Cancels one of the user's unfinished tasks. Resolves to the status it had and its run (null: no such task of
   * theirs); a finished task is left as it is.
   */
  async cancel(userId: string, id: string): Promise<{ was: TaskStatus; runId: string | null } | null> {
    const rows = await this.db.query<Array<{ was: TaskStatus; run_id: string | null }>>(
      `WITH t AS (SELECT id, status, run_id FROM tasks WHERE id = $1 AND user_id = $2 FOR UPDATE),
       done AS (
         UPDATE tasks SET status = 'cancelled', finished_at = now()
         FROM t WHERE tasks.id = t.id AND t.status IN ${UNFINISHED}
       )
       SELECT status AS was, run_id FROM t`,
      [id, userId],
    );
    const [row] = rows;
    return row ? { was: row.was, runId: row.run_id } : null;
  }

  private fenced(id: string, attempt: number, set: string, params: unknown[]): Promise<boolean> {
    return this.update(`UPDATE tasks SET ${set} WHERE id = $1 AND attempts = $2 AND status = 'active'`, [
      id,
      attempt,
      ...params,
    ]);
  }

  private async update(sql: string, params: unknown[]): Promise<boolean> {
    const [, affected] = await this.db.query<[unknown[], number]>(`${sql} RETURNING 1`, params);
    return affected > 0;
  }
}
