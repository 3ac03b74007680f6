import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddRunIdempotencyKey1763800000300 implements MigrationInterface {
  name = 'AddRunIdempotencyKey1763800000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs ADD COLUMN idempotency_key varchar(200)`);
    // A retried POST /api/chat with the same key finds the first run instead of starting a second one.
    await q.query(
      `CREATE UNIQUE INDEX runs_user_idempotency_key ON runs (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX runs_user_idempotency_key`);
    await q.query(`ALTER TABLE runs DROP COLUMN idempotency_key`);
  }
}
