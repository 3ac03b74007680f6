import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateTasks1763800000800 implements MigrationInterface {
  name = 'CreateTasks1763800000800';

  async up(q: QueryRunner): Promise<void> {
    // The durable record of a task (the queue only moves work): `attempts` is raised each time a worker starts it
    // and fences every later save, so an attempt that lost the task to another worker cannot overwrite its state.
    await q.query(`
      CREATE TABLE tasks (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        type varchar(32) NOT NULL,
        input jsonb NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'queued'
          CHECK (status IN ('queued', 'active', 'completed', 'failed', 'cancelled')),
        progress double precision NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
        result jsonb,
        error jsonb,
        attempts integer NOT NULL DEFAULT 0,
        idempotency_key varchar(200),
        run_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(
      `CREATE UNIQUE INDEX tasks_user_idempotency_key ON tasks (user_id, idempotency_key)
       WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(`CREATE INDEX tasks_user_created_idx ON tasks (user_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX tasks_unfinished_idx ON tasks (created_at) WHERE status IN ('queued', 'active')`);
    // Files kept for a document.ingest task (too large to process within the request that brought them).
    await q.query(`
      CREATE TABLE uploads (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        filename varchar(255) NOT NULL,
        mime_type varchar(255) NOT NULL,
        size_bytes integer NOT NULL,
        data bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX uploads_expires_idx ON uploads (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE uploads`);
    await q.query(`DROP TABLE tasks`);
  }
}
