import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { AccessTokenClaims, AuthUser } from '../auth-user.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { VerifiedTokens } from './verified-tokens.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BEARER = /^bearer\s+(\S+)$/i;
/** Distinct valid tokens remembered (a few hundred bytes each). */
const VERIFIED_TOKENS_CAPACITY = 10_000;

/**
 * The access-token policy: a bearer token in `Authorization`, verified with the JwtModule's key and options
 * (auth.module.ts): HS256 only (so `alg: none` and key-confusion tricks fail), issuer and audience checked, expiry
 * enforced; then `exp` required, `sub` a user id and `sid` a session id; then the session must be live (not ended
 * by logout or a password change, its user not deleted). The user comes from the token's claims and the session's
 * state from memory (SessionsService reads it again from the database at most every SESSION_CACHE_TTL_MS), so a
 * request costs no database read; a token already verified is not verified again (VerifiedTokens re-checks only
 * its expiry).
 *
 * Called by the global JwtAuthGuard directly, not through passport: passport made a strategy object and a chain of
 * closures per request (~14 KB of garbage, the largest allocation on an authenticated read) for the same check.
 */
@Injectable()
export class JwtStrategy {
  private readonly verified = new VerifiedTokens(VERIFIED_TOKENS_CAPACITY);

  constructor(
    private readonly jwt: JwtService,
    private readonly sessions: SessionsService,
  ) {}

  /** The caller, or `undefined` for a missing, malformed, forged, expired, incomplete or revoked token. */
  async authenticate(authorization: string | undefined): Promise<AuthUser | undefined> {
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (!token) return undefined;
    const user = this.verified.get(token, Date.now()) ?? (await this.verify(token));
    if (!user) return undefined;
    return (await this.sessions.isLive(user)) ? user : undefined;
  }

  private async verify(token: string): Promise<AuthUser | undefined> {
    let payload: Partial<AccessTokenClaims> & { exp?: unknown; nbf?: unknown };
    try {
      payload = await this.jwt.verifyAsync(token);
    } catch {
      return undefined;
    }
    if (typeof payload.exp !== 'number') return undefined;
    if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) return undefined;
    if (typeof payload.sid !== 'string' || !UUID.test(payload.sid)) return undefined;
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r) => r === 'user' || r === 'admin') : [];
    const user = { id: payload.sub, email: String(payload.email ?? ''), roles, sessionId: payload.sid };
    return this.verified.set(token, user, {
      exp: payload.exp,
      nbf: typeof payload.nbf === 'number' ? payload.nbf : undefined,
    });
  }
}
