import type { Role } from './entities/user.entity.js';

/** The caller as the JWT states it; attached to the request by the JWT guard. */
export interface AuthUser {
  id: string;
  email: string;
  roles: Role[];
}

/** Claims we sign. `sub` is the user id; `exp`, `iss`, `aud` and `iat` are added by the signer. */
export interface AccessTokenClaims {
  sub: string;
  email: string;
  roles: Role[];
}
