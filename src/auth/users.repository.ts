import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { type Role, UserEntity } from './entities/user.entity.js';

const UNIQUE_VIOLATION = '23505';

/** Emails are stored and looked up exactly as given: callers pass them normalized (`normalizeEmail`). */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly repo: Repository<UserEntity>) {}

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
}
