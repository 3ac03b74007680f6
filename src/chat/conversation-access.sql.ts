/**
 * SQL for who may do what in a conversation `c` (the alias), for user parameter `$n`: its owner
 * (conversations.user_id) and its members (conversation_members). Shared by the repositories, so every read and
 * write path checks membership the same way.
 */
export const conversationAccess = {
  /** The user may see it: owner or any member. */
  visible: (user: string) =>
    `(c.user_id = ${user} OR EXISTS (SELECT 1 FROM conversation_members cm
       WHERE cm.conversation_id = c.id AND cm.user_id = ${user}))`,
  /** The user may post turns and cancel runs: owner or participant. */
  writable: (user: string) =>
    `(c.user_id = ${user} OR EXISTS (SELECT 1 FROM conversation_members cm
       WHERE cm.conversation_id = c.id AND cm.user_id = ${user} AND cm.role = 'participant'))`,
  /** 'owner', 'viewer', 'participant', or NULL for a stranger. */
  role: (user: string) =>
    `(CASE WHEN c.user_id = ${user} THEN 'owner' ELSE (SELECT cm.role FROM conversation_members cm
       WHERE cm.conversation_id = c.id AND cm.user_id = ${user}) END)`,
};
