import { Logger } from '@nestjs/common';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { normalizeEmail } from '../../common/validation/email-address.js';

const PAGE = 5000;

interface UserEmail {
  id: string;
  email: string;
}

/**
 * Stores every address in the one spelling sign-in and registration now compare (`normalizeEmail`), and makes that
 * exact column unique. The normalization is the application's own function rather than SQL: PostgreSQL's lower()
 * depends on the database's locale and has no full case folding, so rows written by this code and rows normalized
 * here are the same spelling on every server.
 *
 * Collisions: two accounts whose addresses normalize alike (`victim@x.io` and `vic\u200btim@x.io`, or
 * `straße@x.io` and `strasse@x.io`) cannot both have the address. The account that already answers to the
 * normalized spelling keeps it, so that nobody who signs in with the plain address lands in another account;
 * when none does, the oldest account takes it. Each other account keeps its stored spelling, which no sign-in
 * reaches any more (sign-in normalizes what it is given), and its id is logged as a warning for an operator to
 * review: merge, rename or delete it. Nothing is deleted here.
 */
export class NormalizeUserEmails1763800000650 implements MigrationInterface {
  name = 'NormalizeUserEmails1763800000650';

  async up(q: QueryRunner): Promise<void> {
    // Exact uniqueness first: rows unique by lower(email) are unique by email, and the updates below must not
    // meet the old index's idea of equality. It also serves sign-in's `WHERE email = $1`, which lower(email) did not.
    await q.query(`DROP INDEX users_email_key`);
    await q.query(`CREATE UNIQUE INDEX users_email_key ON users (email)`);

    const changed = new Map<string, Array<UserEmail & { created_at: Date }>>();
    for (let after = ''; ;) {
      const rows: Array<UserEmail & { created_at: Date }> = await q.query(
        `SELECT id::text AS id, email, created_at FROM users WHERE id::text > $1 ORDER BY id::text LIMIT ${PAGE}`,
        [after],
      );
      for (const row of rows) {
        const normalized = normalizeEmail(row.email);
        if (normalized !== row.email) changed.set(normalized, [...(changed.get(normalized) ?? []), row]);
      }
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1].id;
    }

    const unreachable: Array<{ id: string; kept_by: string }> = [];
    for (const [normalized, rows] of changed) {
      const [holder] = (await q.query(`SELECT id::text AS id FROM users WHERE email = $1`, [
        normalized,
      ])) as UserEmail[];
      const byAge = [...rows].sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || (a.id < b.id ? -1 : 1));
      const keeper = holder?.id ?? byAge[0].id;
      if (!holder) await q.query(`UPDATE users SET email = $1 WHERE id = $2`, [normalized, keeper]);
      for (const row of rows) if (row.id !== keeper) unreachable.push({ id: row.id, kept_by: keeper });
    }
    if (unreachable.length > 0) {
      new Logger('Migrations').warn({
        msg: 'accounts whose email normalizes to another account’s kept their spelling and can no longer sign in',
        accounts: unreachable,
      });
    }
  }

  async down(q: QueryRunner): Promise<void> {
    // The spellings replaced are not kept; the old index is restored over the normalized ones.
    await q.query(`DROP INDEX users_email_key`);
    await q.query(`CREATE UNIQUE INDEX users_email_key ON users (lower(email))`);
  }
}
