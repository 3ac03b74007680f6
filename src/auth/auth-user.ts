import type { Role } from './entities/user.entity.js';

/** The caller as the JWT states it; attached to the request by the JWT guard. */
export interface AuthUser {
  id: string;
  email: string;
  roles: Role[];
  /** The session the token belongs to (its `sid`): live, or the guard would have refused the token. */
  sessionId: string;
}

/** Claims we sign. `sub` is the user id, `sid` the session; `exp`, `iss`, `aud` and `iat` are added by the signer. */
export interface AccessTokenClaims {
  sub: string;
  sid: string;
  email: string;
  roles: Role[];
}
