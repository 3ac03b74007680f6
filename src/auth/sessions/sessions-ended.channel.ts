import { clusterChannel } from '../../cluster/cluster-events.js';

/** A session, or every session of a user, ended (logout, password change, account deleted): forget what you knew. */
export type SessionsEnded = { session_id: string } | { user_id: string };

export const SESSIONS_ENDED = clusterChannel<SessionsEnded>('auth.sessions-ended');
