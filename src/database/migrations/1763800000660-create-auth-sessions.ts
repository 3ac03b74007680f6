import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAuthSessions1763800000660 implements MigrationInterface {
  name = 'CreateAuthSessions1763800000660';

  async up(q: QueryRunner): Promise<void> {
    // One row per sign-in; an access token names its row (`sid`) and is accepted only while the row is live.
    // Deleting a user deletes its sessions, so its tokens stop working with it.
    await q.query(`
      CREATE TABLE auth_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz
      )`);
    // Ending every session of a user (password change), and clearing a user's ended ones at sign-in.
    await q.query(`CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE auth_sessions`);
  }
}
