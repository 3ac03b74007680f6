import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateChat1763800000100 implements MigrationInterface {
  name = 'CreateChat1763800000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE conversations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        title varchar(200) NOT NULL,
        agent varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX conversations_user_updated_idx ON conversations (user_id, updated_at DESC, id)`);

    await q.query(`
      CREATE TABLE runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        agent varchar(64) NOT NULL,
        model varchar(100) NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('running', 'completed', 'cancelled', 'failed', 'interrupted')),
        stop_reason varchar(32),
        usage jsonb NOT NULL DEFAULT '{"input_tokens":0,"output_tokens":0}',
        error jsonb,
        context jsonb,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    // At most one active run per conversation, enforced by the database rather than by a read-then-write race.
    await q.query(
      `CREATE UNIQUE INDEX runs_one_active_per_conversation ON runs (conversation_id) WHERE status = 'running'`,
    );
    await q.query(`CREATE INDEX runs_user_idx ON runs (user_id)`);

    await q.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY,
        conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        run_id uuid REFERENCES runs(id) ON DELETE SET NULL,
        role varchar(16) NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
        content jsonb NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('streaming', 'completed', 'cancelled', 'failed', 'interrupted')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX messages_conversation_seq_idx ON messages (conversation_id, seq)`);

    await q.query(`
      CREATE TABLE tool_calls (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        run_id uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        tool_use_id varchar(128) NOT NULL,
        name varchar(64) NOT NULL,
        input jsonb,
        result jsonb,
        error jsonb,
        duration_ms integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX tool_calls_run_idx ON tool_calls (run_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tool_calls`);
    await q.query(`DROP TABLE messages`);
    await q.query(`DROP TABLE runs`);
    await q.query(`DROP TABLE conversations`);
  }
}
