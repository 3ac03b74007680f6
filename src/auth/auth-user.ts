import type { Caller, Role } from '../common/auth/caller.js';

/** The caller as the JWT states it; attached to the request by the JWT guard. */
export type AuthUser = Caller;

/** Claims we sign. `sub` is the user id, `sid` the session; `exp`, `iss`, `aud` and `iat` are added by the signer. */
export interface AccessTokenClaims {
  sub: string;
  sid: string;
  email: string;
  roles: Role[];
}
