import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PreparedStatements, statement } from '../../database/prepared-statements.js';
import type { SessionRow } from './session-states.js';

/** Read by the guard once per session per SESSION_CACHE_TTL_MS (and after every revocation notice). */
const FIND_STATE = statement(
  'auth_sessions_find_state',
  `SELECT user_id, revoked_at IS NULL AND expires_at > now() AS live,
          extract(epoch FROM expires_at)::float8 * 1000 AS expires_at_ms
   FROM auth_sessions WHERE id = $1`,
);

@Injectable()
export class AuthSessionsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly statements: PreparedStatements,
  ) {}

  /**
   * Starts a session for a user whose password was verified against `passwordHash`, lasting `lifetimeSeconds`;
   * resolves `undefined` when that hash is no longer the user's (a password change committed meanwhile) or the
   * user is gone. `FOR SHARE` makes a concurrent password change wait for this insert or this insert see the
   * change, so no session started with the old password outlives it. The user's ended sessions are cleared on the
   * way, so the table holds about one row per live session.
   */
  async start(userId: string, passwordHash: string, lifetimeSeconds: number): Promise<string | undefined> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `WITH cleared AS (
         DELETE FROM auth_sessions WHERE user_id = $1 AND (revoked_at IS NOT NULL OR expires_at <= now())
       )
       INSERT INTO auth_sessions (user_id, expires_at)
       SELECT id, now() + make_interval(secs => $3) FROM users WHERE id = $1 AND password_hash = $2 FOR SHARE
       RETURNING id`,
      [userId, passwordHash, lifetimeSeconds],
    );
    return rows[0]?.id;
  }

  /** The session's owner and state; `undefined` when no such session exists (never did, or its user is gone). */
  async findState(sessionId: string): Promise<SessionRow | undefined> {
    const [row] = await this.statements.rows<{ user_id: string; live: boolean; expires_at_ms: number }>(FIND_STATE, [
      sessionId,
    ]);
    return row && { userId: row.user_id, live: row.live, expiresAtMs: row.expires_at_ms };
  }

  async revoke(sessionId: string, userId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE auth_sessions SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
      [sessionId, userId],
    );
  }
}
