import { Injectable } from '@nestjs/common';
import { ChatRepository } from './chat.repository.js';
import { ConversationNotFound, ConversationReadOnly, OwnerOnly } from './chat.errors.js';
import type { ConversationRole } from './entities/conversation-member.entity.js';
import type { ConversationEntity } from './entities/conversation.entity.js';

/** What a caller needs to do: `read` (owner, any member), `write` (owner, participant) or `own` (owner). */
export type ConversationNeed = 'read' | 'write' | 'own';

/** Throws when `role` does not allow `need`: a viewer cannot write, a member cannot do what only the owner can. */
export function assertAllowed(role: ConversationRole, need: ConversationNeed): void {
  if (need === 'write' && role === 'viewer') throw new ConversationReadOnly();
  if (need === 'own' && role !== 'owner') throw new OwnerOnly();
}

/**
 * Who may do what in a conversation: a stranger gets 404 everywhere (no existence oracle); a member who may see it
 * but not do this gets 403.
 */
@Injectable()
export class ConversationAccess {
  constructor(private readonly chat: ChatRepository) {}

  async require(
    userId: string,
    conversationId: string,
    need: ConversationNeed,
  ): Promise<{ conversation: ConversationEntity; role: ConversationRole }> {
    const found = await this.chat.findAccessible(conversationId, userId);
    if (!found) throw new ConversationNotFound();
    assertAllowed(found.role, need);
    return found;
  }
}
