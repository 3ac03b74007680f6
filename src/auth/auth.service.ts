import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config.js';
import type { AccessTokenClaims, AuthUser } from './auth-user.js';
import { AccountGone, EmailTaken, InvalidCredentials, UserNotFound, WrongCurrentPassword } from './auth.errors.js';
import { AccessTokenDto, MeDto, RegisteredUserDto } from './dto/auth-responses.dto.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { CredentialsDto } from './dto/credentials.dto.js';
import { normalizeEmail } from '../common/validation/email-address.js';
import type { Role } from './entities/user.entity.js';
import { PasswordHasher } from './password-hasher.js';
import { SessionsService } from './sessions/sessions.service.js';
import { UsersRepository } from './users.repository.js';

@Injectable()
export class AuthService {
  private readonly adminEmails: ReadonlySet<string>;

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    private readonly sessions: SessionsService,
    private readonly config: AppConfig,
  ) {
    this.adminEmails = new Set(config.adminEmails.map(normalizeEmail));
  }

  /** The DTO has normalized the email already; normalizing again (idempotent) keeps any other caller honest. */
  async register(credentials: CredentialsDto): Promise<RegisteredUserDto> {
    const email = normalizeEmail(credentials.email);
    // Admins are designated by configuration (ADMIN_EMAILS), never by anything in the request.
    const roles: Role[] = this.adminEmails.has(email) ? ['user', 'admin'] : ['user'];
    const user = await this.users.insert(email, await this.hasher.hash(credentials.password), roles);
    if (!user) throw new EmailTaken();
    return { id: user.id, email: user.email, created_at: user.createdAt.toISOString() };
  }

  /** Verifies the password and starts a session; the token names it (`sid`) and dies with it. */
  async login({ email, password }: CredentialsDto): Promise<AccessTokenDto> {
    const user = await this.users.findByEmail(normalizeEmail(email));
    const ok = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !ok) throw new InvalidCredentials();
    const sid = await this.sessions.start(user.id, user.passwordHash);
    // The password changed, or the account was deleted, while this one was being verified.
    if (!sid) throw new InvalidCredentials();
    const claims: AccessTokenClaims = { sub: user.id, sid, email: user.email, roles: user.roles };
    const access_token = await this.jwt.signAsync(claims);
    return { access_token, token_type: 'Bearer', expires_in: this.config.jwt.expiresInSeconds };
  }

  logout(caller: AuthUser): Promise<void> {
    return this.sessions.end(caller);
  }

  /** Every session of the user ends, the caller's included: each device signs in again with the new password. */
  async changePassword(caller: AuthUser, dto: ChangePasswordDto): Promise<void> {
    const user = await this.users.findById(caller.id);
    if (!user) throw new AccountGone();
    if (!(await this.hasher.verify(user.passwordHash, dto.current_password))) throw new WrongCurrentPassword();
    if (!(await this.users.replacePassword(user.id, await this.hasher.hash(dto.new_password)))) throw new AccountGone();
    await this.sessions.allEnded(user.id);
  }

  /** Deletes an account with everything it owns; its tokens are refused from the next request, on every instance. */
  async deleteUser(userId: string): Promise<void> {
    if (!(await this.users.delete(userId))) throw new UserNotFound();
    await this.sessions.allEnded(userId);
  }

  /** Reads the account fresh (roles may have changed since the token was issued). */
  async me(caller: AuthUser): Promise<MeDto> {
    const user = await this.users.findById(caller.id);
    if (!user) throw new AccountGone();
    return { id: user.id, email: user.email, roles: user.roles };
  }
}
