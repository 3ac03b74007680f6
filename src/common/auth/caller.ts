/** A role a user account can hold. */
export type Role = 'user' | 'admin';

/**
 * The authenticated caller as every layer sees it: set on the request by the auth module's guard (from a verified
 * token with a live session) and read by decorators, logging and rate limits. Declared here, not in the auth
 * module, so that cross-cutting code depends on the shape, not on the feature.
 */
export interface Caller {
  id: string;
  email: string;
  roles: Role[];
  /** The session the token belongs to (its `sid`): live, or the guard would have refused the token. */
  sessionId: string;
}
