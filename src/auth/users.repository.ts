import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, QueryFailedError, Repository } from 'typeorm';
import { type Role, UserEntity } from './entities/user.entity.js';

const UNIQUE_VIOLATION = '23505';

/** Emails are stored and looked up exactly as given: callers pass them normalized (`normalizeEmail`). */
@Injectable()
export class UsersRepository {
  constructor(
    @InjectRepository(UserEntity) private readonly repo: Repository<UserEntity>,
    private readonly dataSource: DataSource,
  ) {}

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.repo.findOneBy({ email });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Inserts a user; resolves `undefined` when the email is already taken (decided by the unique index, not a race-prone read). */
  async insert(email: string, passwordHash: string, roles: Role[]): Promise<UserEntity | undefined> {
    try {
      return await this.repo.save(this.repo.create({ email, passwordHash, roles }));
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string })?.code === UNIQUE_VIOLATION)
        return undefined;
      throw err;
    }
  }

  /**
   * Sets a new password hash and ends every session of the user, committed together. The user's row is locked
   * first, so a sign-in that verified the old password either finished starting its session before (and the second
   * statement, seeing it, ends it) or finds the hash changed (AuthSessionsRepository.start). Resolves false when
   * the user is gone.
   */
  replacePassword(userId: string, passwordHash: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [, updated] = (await manager.query(
        `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`,
        [userId, passwordHash],
      )) as [unknown, number];
      await manager.query(`UPDATE auth_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [
        userId,
      ]);
      return updated > 0;
    });
  }

  /** Deletes a user; everything that references it (sessions, documents, conversations…) goes with it. */
  async delete(userId: string): Promise<boolean> {
    const [, deleted] = (await this.dataSource.query(`DELETE FROM users WHERE id = $1`, [userId])) as [unknown, number];
    return deleted > 0;
  }
}
