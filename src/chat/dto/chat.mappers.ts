import type { ConversationRole } from '../entities/conversation-member.entity.js';
import type { ConversationEntity } from '../entities/conversation.entity.js';
import { textOf, type MessageEntity } from '../entities/message.entity.js';
import type { RunEntity } from '../entities/run.entity.js';
import type { ToolCallEntity } from '../entities/tool-call.entity.js';
import type { ConversationDto, HistoryMessageDto, RunDto, ToolCallDto } from './chat-responses.dto.js';

export function toToolCallDto(c: ToolCallEntity): ToolCallDto {
  return {
    id: c.toolUseId,
    name: c.name,
    input: c.input,
    ...(c.error ? { error: c.error } : { result: c.result }),
    duration_ms: c.durationMs,
  };
}

export function toHistoryMessageDto(m: MessageEntity, toolCalls: ToolCallDto[] | undefined): HistoryMessageDto {
  return {
    id: m.id,
    role: m.role,
    content: textOf(m.content),
    status: m.status,
    ...(toolCalls?.length ? { tool_calls: toolCalls } : {}),
    created_at: m.createdAt.toISOString(),
  };
}

export function toConversationDto(c: ConversationEntity, role: ConversationRole): ConversationDto {
  return {
    id: c.id,
    role,
    title: c.title,
    agent: c.agent,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

export function toRunDto(r: RunEntity, lastEventId: number): RunDto {
  return {
    id: r.id,
    conversation_id: r.conversationId,
    agent: r.agent,
    model: r.model,
    status: r.status,
    stop_reason: r.stopReason,
    usage: r.usage,
    error: r.error,
    created_at: r.createdAt.toISOString(),
    started_at: r.startedAt?.toISOString() ?? null,
    finished_at: r.finishedAt?.toISOString() ?? null,
    last_event_id: lastEventId,
  };
}
