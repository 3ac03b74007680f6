import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan } from 'typeorm';
import { PreparedStatements, statement } from '../database/prepared-statements.js';
import { conversationAccess } from './conversation-access.sql.js';
import {
  ConversationMemberEntity,
  type ConversationRole,
  type MemberRole,
} from './entities/conversation-member.entity.js';
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
  /** The reader's role in it. */
  role: ConversationRole;
  /** The newest message's `seq` (`'0'` without messages): what the history was read through. */
  throughSeq: string;
}

/**
 * The tail of a conversation's messages that fits a budget of characters (the whole JSON content of each message
 * counts), with the conversation's agent, newest seq and whether a run is active; the sum runs in the database, so
 * a conversation of many megabytes sends only what fits. With a run id ($4), only the messages up to that run's own
 * turn (what a queued run answers, whatever was queued after it: its answer, made when it starts, comes after those).
 * One row per message kept, or one row of nulls.
 */
const CONVERSATION_HISTORY = statement(
  'chat_conversation_history',
  `WITH upto AS (
     SELECT max(seq) AS seq FROM messages WHERE $4::uuid IS NOT NULL AND run_id = $4::uuid AND role <> 'assistant'
   )
   SELECT c.agent, s.newest::text AS newest, s.total, ${conversationAccess.role('$2')} AS access,
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
   WHERE c.id = $1 AND ${conversationAccess.visible('$2')}
   ORDER BY h.seq`,
);

/** Data access for conversations and their messages. Every read is scoped by `userId`. */
@Injectable()
export class ChatRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly statements: PreparedStatements,
  ) {}

  /** A conversation the user may see (owner or member), with the user's role in it; null for a stranger. */
  async findAccessible(
    id: string,
    userId: string,
  ): Promise<{ conversation: ConversationEntity; role: ConversationRole } | null> {
    const found = await this.db
      .getRepository(ConversationEntity)
      .createQueryBuilder('c')
      .addSelect(conversationAccess.role(':user'), 'role')
      .where('c.id = :id', { id })
      .andWhere(conversationAccess.visible(':user'), { user: userId })
      .getRawAndEntities<{ role: ConversationRole }>();
    const [conversation] = found.entities;
    return conversation ? { conversation, role: found.raw[0].role } : null;
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
      access: ConversationRole;
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
      role: rows[0].access,
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

  /**
   * A conversation with a client-chosen id, for clients that name their chats (the AI SDK's `useChat`). Nothing
   * happens when the id is taken, by this user or another: the caller then reads it scoped to the user as usual.
   */
  async createConversationIfAbsent(args: { id: string; userId: string; title: string; agent: string }): Promise<void> {
    await this.db.query(
      `INSERT INTO conversations (id, user_id, title, agent) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
      [args.id, args.userId, args.title, args.agent],
    );
  }

  /** The conversations the user owns or is a member of, most recently active first, with the user's role. */
  async listConversations(
    userId: string,
    limit: number,
    offset: number,
  ): Promise<Array<{ conversation: ConversationEntity; role: ConversationRole }>> {
    const found = await this.db
      .getRepository(ConversationEntity)
      .createQueryBuilder('c')
      .addSelect(conversationAccess.role(':user'), 'role')
      .where(conversationAccess.visible(':user'), { user: userId })
      .orderBy('c.updated_at', 'DESC')
      .addOrderBy('c.id', 'ASC')
      .offset(offset)
      .limit(limit)
      .getRawAndEntities<{ role: ConversationRole; c_id: string }>();
    const roles = new Map(found.raw.map((r) => [r.c_id, r.role]));
    return found.entities.map((conversation) => ({ conversation, role: roles.get(conversation.id)! }));
  }

  /** Adds a member, or changes the role of one; resolves true when the member is new. */
  async putMember(conversationId: string, userId: string, role: MemberRole): Promise<boolean> {
    const rows = await this.db.query<Array<{ created: boolean }>>(
      `INSERT INTO conversation_members (conversation_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (conversation_id, user_id) DO UPDATE SET role = EXCLUDED.role
       RETURNING (xmax = 0) AS created`,
      [conversationId, userId, role],
    );
    return rows[0].created;
  }

  /** The conversation's members (not its owner), in the order they were added. */
  listMembers(conversationId: string): Promise<Array<{ user_id: string; email: string; role: MemberRole }>> {
    return this.db.query(
      `SELECT cm.user_id, u.email, cm.role FROM conversation_members cm JOIN users u ON u.id = cm.user_id
       WHERE cm.conversation_id = $1 ORDER BY cm.added_at, cm.user_id`,
      [conversationId],
    );
  }

  async removeMember(conversationId: string, userId: string): Promise<boolean> {
    const result = await this.db.getRepository(ConversationMemberEntity).delete({ conversationId, userId });
    return (result.affected ?? 0) > 0;
  }

  async deleteConversation(id: string, userId: string): Promise<boolean> {
    const result = await this.db.getRepository(ConversationEntity).delete({ id, userId });
    return (result.affected ?? 0) > 0;
  }
}
