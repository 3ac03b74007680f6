import { MigrationInterface, QueryRunner } from 'typeorm';

export class DurableRuns1763800000600 implements MigrationInterface {
  name = 'DurableRuns1763800000600';

  async up(q: QueryRunner): Promise<void> {
    // `queued`: accepted behind the conversation's active run; `waiting`: paused on an approval.
    await q.query(`ALTER TABLE runs DROP CONSTRAINT runs_status_check`);
    await q.query(
      `ALTER TABLE runs ADD CONSTRAINT runs_status_check
       CHECK (status IN ('queued', 'running', 'waiting', 'completed', 'cancelled', 'failed', 'interrupted'))`,
    );
    // A queued run has been created but not started.
    await q.query(`ALTER TABLE runs ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()`);
    await q.query(`UPDATE runs SET created_at = started_at`);
    await q.query(`ALTER TABLE runs ALTER COLUMN started_at DROP NOT NULL, ALTER COLUMN started_at DROP DEFAULT`);
    // The instance driving the run renews heartbeat_at; any instance marks a run whose heartbeat went stale
    // `interrupted`. Rows from before this migration have no heartbeat: stale from the start.
    await q.query(`ALTER TABLE runs ADD COLUMN instance_id uuid, ADD COLUMN heartbeat_at timestamptz`);
    await q.query(`ALTER TABLE runs ADD COLUMN last_event_id integer NOT NULL DEFAULT 0`);
    await q.query(
      `ALTER TABLE runs ADD COLUMN background boolean NOT NULL DEFAULT false,
       ADD COLUMN on_disconnect varchar(16) NOT NULL DEFAULT 'cancel' CHECK (on_disconnect IN ('cancel', 'continue'))`,
    );
    // One active run per conversation: a run paused on an approval still holds it.
    await q.query(`DROP INDEX runs_one_active_per_conversation`);
    await q.query(
      `CREATE UNIQUE INDEX runs_one_active_per_conversation ON runs (conversation_id)
       WHERE status IN ('running', 'waiting')`,
    );
    await q.query(
      `CREATE INDEX runs_live_heartbeat_idx ON runs (heartbeat_at) WHERE status IN ('queued', 'running', 'waiting')`,
    );
    await q.query(`CREATE INDEX runs_queued_idx ON runs (conversation_id, created_at) WHERE status = 'queued'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX runs_queued_idx`);
    await q.query(`DROP INDEX runs_live_heartbeat_idx`);
    await q.query(`DROP INDEX runs_one_active_per_conversation`);
    await q.query(
      `CREATE UNIQUE INDEX runs_one_active_per_conversation ON runs (conversation_id) WHERE status = 'running'`,
    );
    await q.query(`ALTER TABLE runs DROP COLUMN on_disconnect, DROP COLUMN background, DROP COLUMN last_event_id`);
    await q.query(`ALTER TABLE runs DROP COLUMN heartbeat_at, DROP COLUMN instance_id`);
    await q.query(`UPDATE runs SET started_at = created_at WHERE started_at IS NULL`);
    await q.query(`ALTER TABLE runs ALTER COLUMN started_at SET NOT NULL, ALTER COLUMN started_at SET DEFAULT now()`);
    await q.query(`ALTER TABLE runs DROP COLUMN created_at`);
    await q.query(`DELETE FROM runs WHERE status IN ('queued', 'waiting')`);
    await q.query(`ALTER TABLE runs DROP CONSTRAINT runs_status_check`);
    await q.query(
      `ALTER TABLE runs ADD CONSTRAINT runs_status_check
       CHECK (status IN ('running', 'completed', 'cancelled', 'failed', 'interrupted'))`,
    );
  }
}
