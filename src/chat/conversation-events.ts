import { clusterChannel } from '../cluster/cluster-events.js';

/** A run was stored in a conversation: its watchers start following it. */
export const RUN_STORED = clusterChannel<{ conversationId: string; runId: string }>('conversations.run-stored');

/** A member lost access (removed, or left): what they watch of the conversation ends. */
export const ACCESS_REVOKED = clusterChannel<{ conversationId: string; userId: string }>(
  'conversations.access-revoked',
);

/** The conversation is gone: every watcher's stream ends. */
export const CONVERSATION_DELETED = clusterChannel<{ conversationId: string }>('conversations.deleted');
