import type { AuthUser } from '../auth-user.js';

interface Entry {
  user: Readonly<AuthUser>;
  notBeforeMs: number;
  expiresAtMs: number;
}

/**
 * Access tokens this process has already verified, with the user they carry: a client sends the same token with
 * every request until it expires, and verifying it again (base64 and JSON decoding, an HMAC, the claim checks) was
 * about 8% of the CPU of an authenticated read (CPU profile of `npm run bench -- --only=rest`). Only tokens that
 * passed verification are stored, keyed by the whole token string, so a token differing in any byte is verified
 * afresh; what depends on the clock (`exp`, `nbf`) is checked again on every use, as the verifier would. Bounded:
 * past `capacity` tokens the oldest stored is dropped (it is verified again if it comes back).
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The user of a stored token that is valid at `nowMs`; an expired one is dropped. */
  get(token: string, nowMs: number): Readonly<AuthUser> | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (nowMs >= entry.expiresAtMs) {
      this.entries.delete(token);
      return undefined;
    }
    return nowMs >= entry.notBeforeMs ? entry.user : undefined;
  }

  /** Stores a verified token: `exp` and `nbf` are its claims (seconds since the epoch). */
  set(token: string, user: AuthUser, claims: { exp: number; nbf?: number }): Readonly<AuthUser> {
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    const frozen = Object.freeze({ ...user, roles: Object.freeze([...user.roles]) as AuthUser['roles'] });
    this.entries.set(token, { user: frozen, notBeforeMs: (claims.nbf ?? 0) * 1000, expiresAtMs: claims.exp * 1000 });
    return frozen;
  }
}
