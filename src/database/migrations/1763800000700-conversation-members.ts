import { MigrationInterface, QueryRunner } from 'typeorm';

export class ConversationMembers1763800000700 implements MigrationInterface {
  name = 'ConversationMembers1763800000700';

  async up(q: QueryRunner): Promise<void> {
    // A shared conversation's members besides its owner (conversations.user_id): viewers read and watch,
    // participants also post turns and cancel runs.
    await q.query(`
      CREATE TABLE conversation_members (
        conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role varchar(16) NOT NULL CHECK (role IN ('viewer', 'participant')),
        added_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (conversation_id, user_id)
      )`);
    // "Conversations shared with me", newest activity first, is read by member.
    await q.query(`CREATE INDEX conversation_members_user_idx ON conversation_members (user_id, conversation_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE conversation_members`);
  }
}
