import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { ClusterEvents } from '../cluster/cluster-events.js';
import { RunControl } from '../runs/run-control.js';
import { CONVERSATION_DELETED } from './conversation-events.js';
import { ChatRepository } from './chat.repository.js';
import { ConversationNotFound } from './chat.errors.js';
import { ConversationAccess } from './conversation-access.js';
import type { ConversationDto, HistoryMessageDto, ToolCallDto } from './dto/chat-responses.dto.js';
import { toConversationDto, toHistoryMessageDto, toToolCallDto } from './dto/chat.mappers.js';
import { RunsRepository } from './runs/runs.repository.js';

export interface HistoryPage {
  messages: HistoryMessageDto[];
  /** The id to pass as `before` for the page of older messages; absent on the oldest page. */
  next?: string;
}

@Injectable()
export class ConversationsService {
  constructor(
    private readonly chat: ChatRepository,
    private readonly runs: RunsRepository,
    private readonly control: RunControl,
    private readonly access: ConversationAccess,
    private readonly events: ClusterEvents,
  ) {}

  async list(user: AuthUser, limit: number, offset: number): Promise<ConversationDto[]> {
    return (await this.chat.listConversations(user.id, limit, offset)).map((c) =>
      toConversationDto(c.conversation, c.role),
    );
  }

  /** The newest `limit` messages before `before` (a message id), oldest first, with their runs' tool calls. */
  async history(
    user: AuthUser,
    conversationId: string,
    page: { limit: number; before?: string },
  ): Promise<HistoryPage> {
    await this.access.require(user.id, conversationId, 'read');
    let beforeSeq: string | undefined;
    if (page.before) {
      const anchor = await this.chat.findMessage(conversationId, page.before);
      if (!anchor) throw new ConversationNotFound();
      beforeSeq = anchor.seq;
    }
    // One more than asked: whether an older page exists.
    const rows = await this.chat.listMessages(conversationId, page.limit + 1, beforeSeq);
    const older = rows.length > page.limit;
    const messages = older ? rows.slice(1) : rows;
    const runIds = [...new Set(messages.filter((m) => m.role === 'assistant' && m.runId).map((m) => m.runId!))];
    const byRun = new Map<string, ToolCallDto[]>();
    for (const call of await this.runs.listToolCalls(runIds)) {
      const list = byRun.get(call.runId) ?? [];
      list.push(toToolCallDto(call));
      byRun.set(call.runId, list);
    }
    return {
      messages: messages.map((m) =>
        toHistoryMessageDto(m, m.role === 'assistant' && m.runId ? byRun.get(m.runId) : undefined),
      ),
      ...(older && messages.length ? { next: messages[0].id } : {}),
    };
  }

  /** Stops the conversation's running run, wherever it runs; resolves whether there was one. */
  async cancel(user: AuthUser, conversationId: string): Promise<{ cancelled: boolean }> {
    await this.access.require(user.id, conversationId, 'write');
    const running = (await this.runs.activeRuns(conversationId)).filter((r) => r.status !== 'queued');
    await Promise.all(running.map((run) => this.control.stop(run.id, 'cancelled')));
    return { cancelled: running.length > 0 };
  }

  /** Deletes the conversation once its active runs (on any instance) have stopped and saved their state. */
  async delete(user: AuthUser, conversationId: string): Promise<void> {
    await this.access.require(user.id, conversationId, 'own');
    const active = await this.runs.activeRuns(conversationId);
    await Promise.all(active.map((run) => this.control.stop(run.id, 'cancelled')));
    if (!(await this.chat.deleteConversation(conversationId, user.id))) throw new ConversationNotFound();
    await this.events.publish(CONVERSATION_DELETED, { conversationId }).catch(() => undefined);
  }
}
