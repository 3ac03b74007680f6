import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, QueryFailedError } from 'typeorm';
import { ConversationBusy, IdempotencyInProgress } from './chat.errors.js';
import { PreparedStatements, statement, type Statement } from '../database/prepared-statements.js';
import { ConversationEntity } from './entities/conversation.entity.js';
import {
  MessageEntity,
  textOf,
  type MessageRole,
  type MessageStatus,
  type TextBlock,
} from './entities/message.entity.js';
import { RunEntity, type RunRowStatus } from './entities/run.entity.js';
import { ToolCallEntity } from './entities/tool-call.entity.js';

const UNIQUE_VIOLATION = '23505';

export interface ConversationHistory {
  id: string;
  agent: string;
  messages: Array<{ role: MessageRole; text: string; status: MessageStatus }>;
  /** The newest message's `seq` (`'0'` without messages): what the history was read through. */
  throughSeq: string;
}

/** The partial unique indexes on runs turn races into clear 409s. */
function mapRunConflict(err: unknown): unknown {
  const driver =
    err instanceof QueryFailedError ? (err.driverError as { code?: string; constraint?: string }) : undefined;
  if (driver?.code !== UNIQUE_VIOLATION) return err;
  return driver.constraint === 'runs_user_idempotency_key' ? new IdempotencyInProgress() : new ConversationBusy();
}

/**
 * A run's start in one statement: `conversation` creates the conversation or, for a follow-up, touches and row-locks
 * it if it is the user's and has no message newer than the history the caller read ($11).
 */
function openRunStatement(name: string, conversation: string): Statement {
  return statement(
    name,
    `WITH input AS (SELECT $7::uuid AS id, $8::text AS title),
     conv AS (${conversation}),
     run AS (
       INSERT INTO runs (id, conversation_id, user_id, agent, model, status, context, idempotency_key)
       SELECT $9, id, $1, $2, $3, 'running', $4::jsonb, $5 FROM conv
       RETURNING id, conversation_id
     ),
     msgs AS (
       INSERT INTO messages (id, conversation_id, user_id, run_id, role, content, status)
       SELECT CASE WHEN m.assistant THEN $10::uuid ELSE gen_random_uuid() END,
              run.conversation_id, $1, CASE WHEN m.assistant THEN run.id END, m.role, m.content, m.status
       FROM run, jsonb_to_recordset($6::jsonb) AS m(ord int, role text, content jsonb, status text, assistant boolean)
       ORDER BY m.ord
       RETURNING id
     )
     SELECT 1 FROM run`,
  );
}

const OPEN_NEW_RUN = openRunStatement(
  'chat_open_new_run',
  `INSERT INTO conversations (id, user_id, title, agent) SELECT id, $1, title, $2 FROM input RETURNING id`,
);

const OPEN_FOLLOW_UP_RUN = openRunStatement(
  'chat_open_follow_up_run',
  `UPDATE conversations c SET agent = $2, updated_at = now() FROM input
   WHERE c.id = input.id AND c.user_id = $1
     AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.seq > $11::bigint)
   RETURNING c.id`,
);

const CONVERSATION_HISTORY = statement(
  'chat_conversation_history',
  `SELECT c.agent, m.seq::text AS seq, m.role, m.content, m.status
   FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id
   WHERE c.id = $1 AND c.user_id = $2
   ORDER BY m.seq`,
);

/** Only messages still `streaming`: a batch that lands after a run's final save cannot overwrite its text. */
const SAVE_STREAMING_TEXTS = statement(
  'chat_save_streaming_texts',
  `UPDATE messages AS m
   SET content = jsonb_build_array(jsonb_build_object('type', 'text', 'text', v.text))
   FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, text text)
   WHERE m.id = v.id AND m.status = 'streaming'`,
);

const FINISH_RUN = statement(
  'chat_finish_run',
  `WITH msg AS (
     UPDATE messages SET content = jsonb_build_array(jsonb_build_object('type', 'text', 'text', $3::text)),
                         status = $4
     WHERE id = $2
   )
   UPDATE runs SET status = $4, stop_reason = $5, usage = $6::jsonb, error = $7::jsonb, finished_at = now()
   WHERE id = $1`,
);

/** Data access for conversations, messages, runs and tool calls. Every read is scoped by `userId`. */
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
   * A conversation of the user's with its messages in order, in one round trip (what a follow-up run needs before
   * its model request); null when it is not the user's.
   */
  async findConversationHistory(id: string, userId: string): Promise<ConversationHistory | null> {
    const rows: Array<{
      agent: string;
      seq: string | null;
      role: MessageRole | null;
      content: TextBlock[] | null;
      status: MessageStatus | null;
    }> = await this.statements.rows(CONVERSATION_HISTORY, [id, userId]);
    if (!rows.length) return null;
    return {
      id,
      agent: rows[0].agent,
      // A conversation without messages yet comes back as one row of nulls from the outer join.
      messages: rows
        .filter((r) => r.role !== null)
        .map((r) => ({ role: r.role!, text: textOf(r.content ?? []), status: r.status! })),
      throughSeq: rows[rows.length - 1].seq ?? '0',
    };
  }

  /**
   * Commits a run's start in one statement (one round trip, atomic without an explicit transaction): the
   * conversation (created, or touched and row-locked if it exists and is the user's), the run, the request's
   * messages in order and the empty assistant message. The ids are made by the caller, so a model request can
   * start before this commits. Resolves `false` when the conversation is not the user's, or has a message newer
   * than the history the caller read.
   */
  async openRun(args: {
    userId: string;
    /** An existing conversation of the user's, or the id to create a new one with. */
    conversationId: string;
    /**
     * For an existing conversation, the `seq` its history was read through: the run is not stored (resolves
     * `false`) if a message was added since.
     */
    historyThroughSeq: string | null;
    runId: string;
    assistantMessageId: string;
    title: string;
    agent: string;
    model: string;
    context: Record<string, unknown> | null;
    idempotencyKey: string | null;
    messages: Array<{ role: MessageRole; content: string }>;
  }): Promise<boolean> {
    const rows = [
      ...args.messages.map((m) => ({
        role: m.role,
        content: [{ type: 'text', text: m.content }],
        status: 'completed',
        assistant: false,
      })),
      { role: 'assistant', content: [{ type: 'text', text: '' }], status: 'streaming', assistant: true },
    ].map((row, ord) => ({ ord, ...row }));
    try {
      const result = await this.statements.rows(args.historyThroughSeq === null ? OPEN_NEW_RUN : OPEN_FOLLOW_UP_RUN, [
        args.userId,
        args.agent,
        args.model,
        args.context === null ? null : JSON.stringify(args.context),
        args.idempotencyKey,
        JSON.stringify(rows),
        args.conversationId,
        args.title,
        args.runId,
        args.assistantMessageId,
        // $11 only where the statement uses it: PostgreSQL refuses a parameter it cannot type.
        ...(args.historyThroughSeq === null ? [] : [args.historyThroughSeq]),
      ]);
      return result.length > 0;
    } catch (err) {
      throw mapRunConflict(err);
    }
  }

  findRunByIdempotencyKey(userId: string, key: string): Promise<RunEntity | null> {
    return this.db.getRepository(RunEntity).findOneBy({ userId, idempotencyKey: key });
  }

  findRunMessage(runId: string): Promise<MessageEntity | null> {
    return this.db.getRepository(MessageEntity).findOneBy({ runId });
  }

  /** Messages of a conversation in order (the caller has checked ownership). */
  listMessages(conversationId: string): Promise<MessageEntity[]> {
    return this.db.getRepository(MessageEntity).find({ where: { conversationId }, order: { seq: 'ASC' } });
  }

  listToolCalls(runIds: string[]): Promise<ToolCallEntity[]> {
    if (!runIds.length) return Promise.resolve([]);
    return this.db.getRepository(ToolCallEntity).find({ where: { runId: In(runIds) }, order: { createdAt: 'ASC' } });
  }

  /**
   * Saves the streamed text of many assistant messages in one statement. Only messages still `streaming` are
   * touched, so a batch that lands after a run's final save cannot overwrite the finished text with a prefix.
   */
  async saveStreamingTexts(rows: Array<{ messageId: string; text: string }>): Promise<void> {
    if (!rows.length) return;
    await this.statements.rows(SAVE_STREAMING_TEXTS, [
      JSON.stringify(rows.map((r) => ({ id: r.messageId, text: r.text }))),
    ]);
  }

  async insertToolCall(row: Omit<ToolCallEntity, 'id' | 'createdAt'>): Promise<void> {
    const repo = this.db.getRepository(ToolCallEntity);
    await repo.save(repo.create(row));
  }

  /** The final text and status of a run and its assistant message, in one statement (atomic, one round trip). */
  async finishRun(args: {
    runId: string;
    messageId: string;
    text: string;
    status: Exclude<RunRowStatus, 'running'>;
    stopReason: string | null;
    usage: { input_tokens: number; output_tokens: number };
    error: { code: string; message: string } | null;
  }): Promise<void> {
    await this.statements.rows(FINISH_RUN, [
      args.runId,
      args.messageId,
      args.text,
      args.status,
      args.stopReason,
      JSON.stringify(args.usage),
      args.error === null ? null : JSON.stringify(args.error),
    ]);
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
