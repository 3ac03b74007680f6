import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { UsersRepository } from '../auth/users.repository.js';
import { ClusterEvents } from '../cluster/cluster-events.js';
import { NotFoundError, ValidationFailedError } from '../common/errors/app.error.js';
import { ChatRepository } from './chat.repository.js';
import { ConversationAccess } from './conversation-access.js';
import { ACCESS_REVOKED } from './conversation-events.js';
import type { AddMemberDto, MemberDto } from './dto/member.dto.js';

/** Shared conversations: the owner adds and removes members; members see who else is in. */
@Injectable()
export class MembersService {
  constructor(
    private readonly chat: ChatRepository,
    private readonly users: UsersRepository,
    private readonly access: ConversationAccess,
    private readonly events: ClusterEvents,
  ) {}

  /** Adds a member (or changes a member's role); resolves whether the member is new. */
  async put(
    owner: AuthUser,
    conversationId: string,
    dto: AddMemberDto,
  ): Promise<{ member: MemberDto; created: boolean }> {
    const { conversation } = await this.access.require(owner.id, conversationId, 'own');
    const user = await this.users.findByEmail(dto.email);
    if (!user) throw new NotFoundError('Account');
    if (user.id === conversation.userId) {
      throw new ValidationFailedError([
        { field: 'email', message: 'the owner is not a member of their own conversation' },
      ]);
    }
    const created = await this.chat.putMember(conversationId, user.id, dto.role);
    // A participant made a viewer loses write access at once; watchers stay.
    return { member: { user_id: user.id, email: user.email, role: dto.role }, created };
  }

  async list(user: AuthUser, conversationId: string): Promise<MemberDto[]> {
    await this.access.require(user.id, conversationId, 'read');
    return this.chat.listMembers(conversationId);
  }

  /** The owner removes a member; a member may remove themselves (leave). */
  async remove(user: AuthUser, conversationId: string, memberId: string): Promise<void> {
    await this.access.require(user.id, conversationId, memberId === user.id ? 'read' : 'own');
    if (!(await this.chat.removeMember(conversationId, memberId))) throw new NotFoundError('Member');
    // Whatever they were watching, on any instance, ends now.
    await this.events.publish(ACCESS_REVOKED, { conversationId, userId: memberId });
  }
}
