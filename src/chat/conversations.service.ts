import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { ChatRepository } from './chat.repository.js';
import { ConversationNotFound } from './chat.errors.js';
import { ConversationDto, HistoryMessageDto, ToolCallDto } from './dto/chat-responses.dto.js';
import type { ConversationEntity } from './entities/conversation.entity.js';
import { textOf } from './entities/message.entity.js';
import type { ToolCallEntity } from './entities/tool-call.entity.js';
import { ActiveRuns } from './runs/active-runs.js';

@Injectable()
export class ConversationsService {
  constructor(
    private readonly repo: ChatRepository,
    private readonly activeRuns: ActiveRuns,
  ) {}

  async list(user: AuthUser, limit: number, offset: number): Promise<ConversationDto[]> {
    return (await this.repo.listConversations(user.id, limit, offset)).map(toConversationDto);
  }

  async history(user: AuthUser, conversationId: string): Promise<HistoryMessageDto[]> {
    await this.requireOwned(user, conversationId);
    const messages = await this.repo.listMessages(conversationId);
    const runIds = [...new Set(messages.map((m) => m.runId).filter((id): id is string => Boolean(id)))];
    const byRun = new Map<string, ToolCallDto[]>();
    for (const call of await this.repo.listToolCalls(runIds)) {
      const list = byRun.get(call.runId) ?? [];
      list.push(toToolCallDto(call));
      byRun.set(call.runId, list);
    }
    return messages.map((m) => {
      const toolCalls = m.runId ? byRun.get(m.runId) : undefined;
      return {
        id: m.id,
        role: m.role,
        content: textOf(m.content),
        status: m.status,
        ...(toolCalls?.length ? { tool_calls: toolCalls } : {}),
        created_at: m.createdAt.toISOString(),
      };
    });
  }

  async cancel(user: AuthUser, conversationId: string): Promise<{ cancelled: boolean }> {
    await this.requireOwned(user, conversationId);
    return { cancelled: await this.activeRuns.cancel(conversationId, user.id, 'cancelled') };
  }

  async delete(user: AuthUser, conversationId: string): Promise<void> {
    await this.requireOwned(user, conversationId);
    await this.activeRuns.cancel(conversationId, user.id, 'cancelled');
    if (!(await this.repo.deleteConversation(conversationId, user.id))) throw new ConversationNotFound();
  }

  private async requireOwned(user: AuthUser, conversationId: string): Promise<ConversationEntity> {
    const conversation = await this.repo.findConversation(conversationId, user.id);
    if (!conversation) throw new ConversationNotFound();
    return conversation;
  }
}

function toConversationDto(c: ConversationEntity): ConversationDto {
  return {
    id: c.id,
    title: c.title,
    agent: c.agent,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

function toToolCallDto(c: ToolCallEntity): ToolCallDto {
  return {
    id: c.toolUseId,
    name: c.name,
    input: c.input,
    ...(c.error ? { error: c.error } : { result: c.result }),
    duration_ms: c.durationMs,
  };
}
