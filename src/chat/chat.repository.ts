import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan } from 'typeorm';
import { PreparedStatements, statement } from '../database/prepared-statements.js';
import { ConversationEntity } from './entities/conversation.entity.js';
import {
  MessageEntity,
  textOf,
  type MessageRole,
  type MessageStatus,
  type TextBlock,
} from './entities/message.entity.js';

export interface ConversationHistory {
  id: string;
  agent: string;
  /** The newest messages that fit the budget, oldest first. */
  messages: Array<{ role: MessageRole; text: string; status: MessageStatus }>;
  /** Older messages left out to fit the budget. */
  omitted: number;
  /** A run is active (queued, running or waiting) in the conversation. */
  busy: boolean;
  /** The newest message's `seq` (`'0'` without messages): what the history was read through. */
  throughSeq: string;
}

/**
 * The tail of a conversation's messages that fits a budget of characters (the whole JSON content of each message
 * counts), with the conversation's agent, newest seq and whether a run is active; the sum runs in the database, so
 * a conversation of many megabytes sends only what fits. With a run id ($4), only the messages up to that run's own
 * turn (what a queued run answers, whatever was queued after it). One row per message kept, or one row of nulls.
 */
const CONVERSATION_HISTORY = statement(
  'chat_conversation_history',
  `WITH upto AS (SELECT max(seq) AS seq FROM messages WHERE $4::uuid IS NOT NULL AND run_id = $4::uuid)
   SELECT c.agent, s.newest::text AS newest, s.total,
          EXISTS (SELECT 1 FROM runs r WHERE r.conversation_id = c.id
                  AND r.status IN ('queued', 'running', 'waiting')) AS busy,
          h.seq::text AS seq, h.role, h.content, h.status
   FROM conversations c
   CROSS JOIN LATERAL (
     SELECT max(m.seq) AS newest, count(*)::int AS total
     FROM messages m, upto WHERE m.conversation_id = c.id AND (upto.seq IS NULL OR m.seq <= upto.seq)
   ) s
   LEFT JOIN LATERAL (
     SELECT t.seq, t.role, t.content, t.status FROM (
       SELECT m.seq, m.role, m.content, m.status,
              sum(length(m.content::text)) OVER (ORDER BY m.seq DESC) AS tail
       FROM messages m, upto WHERE m.conversation_id = c.id AND (upto.seq IS NULL OR m.seq <= upto.seq)
     ) t WHERE t.tail <= $3
   ) h ON true
   WHERE c.id = $1 AND c.user_id = $2
   ORDER BY h.seq`,
);

/** Data access for conversations and their messages. Every read is scoped by `userId`. */
@Injectable()
export class ChatRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly statements: PreparedStatements,
  ) {}

  findConversation(id: string, userId: string): Promise<ConversationEntity | null> {
    return this.db.getRepository(ConversationEntity).findOneBy({ id, userId });
  }

  /**
   * A conversation of the user's with the newest messages that fit `budgetChars`, in one round trip (what a run
   * needs before its model request); null when it is not the user's.
   */
  async findConversationHistory(
    id: string,
    userId: string,
    budgetChars: number,
    throughRunId: string | null = null,
  ): Promise<ConversationHistory | null> {
    const rows: Array<{
      agent: string;
      newest: string | null;
      total: number;
      busy: boolean;
      seq: string | null;
      role: MessageRole | null;
      content: TextBlock[] | null;
      status: MessageStatus | null;
    }> = await this.statements.rows(CONVERSATION_HISTORY, [id, userId, budgetChars, throughRunId]);
    if (!rows.length) return null;
    const messages = rows
      .filter((r) => r.role !== null)
      .map((r) => ({ role: r.role!, text: textOf(r.content ?? []), status: r.status! }));
    return {
      id,
      agent: rows[0].agent,
      messages,
      omitted: rows[0].total - messages.length,
      busy: rows[0].busy,
      throughSeq: rows[0].newest ?? '0',
    };
  }

  /** A page of a conversation's messages, newest `limit` before `beforeSeq` (all when absent), oldest first. */
  async listMessages(conversationId: string, limit: number, beforeSeq?: string): Promise<MessageEntity[]> {
    const page = await this.db.getRepository(MessageEntity).find({
      where: { conversationId, ...(beforeSeq === undefined ? {} : { seq: LessThan(beforeSeq) }) },
      order: { seq: 'DESC' },
      take: limit,
    });
    return page.reverse();
  }

  findMessage(conversationId: string, id: string): Promise<MessageEntity | null> {
    return this.db.getRepository(MessageEntity).findOneBy({ conversationId, id });
  }

  /** The assistant message a run streamed into (a run's user turn carries its id too). */
  findRunMessage(runId: string): Promise<MessageEntity | null> {
    return this.db.getRepository(MessageEntity).findOneBy({ runId, role: 'assistant' });
  }

  listConversations(userId: string, limit: number, offset: number): Promise<ConversationEntity[]> {
    return this.db
      .getRepository(ConversationEntity)
      .find({ where: { userId }, order: { updatedAt: 'DESC', id: 'ASC' }, take: limit, skip: offset });
  }

  async deleteConversation(id: string, userId: string): Promise<boolean> {
    const result = await this.db.getRepository(ConversationEntity).delete({ id, userId });
    return (result.affected ?? 0) > 0;
  }
}
