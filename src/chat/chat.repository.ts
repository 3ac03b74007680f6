import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, QueryFailedError } from 'typeorm';
import { AppError } from '../common/errors/app.error.js';
import { ConversationEntity } from './entities/conversation.entity.js';
import { MessageEntity, type MessageRole, type MessageStatus } from './entities/message.entity.js';
import { RunEntity, type RunRowStatus } from './entities/run.entity.js';
import { ToolCallEntity } from './entities/tool-call.entity.js';

export class ConversationBusy extends AppError {
  constructor() {
    super('CONFLICT', 'A run is already active in this conversation; cancel it or wait for it to finish');
  }
}

export class IdempotentRequestInProgress extends AppError {
  constructor() {
    super('CONFLICT', 'A request with this Idempotency-Key is still running; retry when it has finished');
    this.retryAfterSeconds = 1;
  }
}

const UNIQUE_VIOLATION = '23505';

/** Data access for conversations, messages, runs and tool calls. Every read is scoped by `userId`. */
@Injectable()
export class ChatRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  findConversation(id: string, userId: string, m: EntityManager = this.db.manager): Promise<ConversationEntity | null> {
    return m.findOneBy(ConversationEntity, { id, userId });
  }

  /** Locks the conversation row so concurrent posts into it are serialized. */
  lockConversation(m: EntityManager, id: string, userId: string): Promise<ConversationEntity | null> {
    return m.findOne(ConversationEntity, { where: { id, userId }, lock: { mode: 'pessimistic_write' } });
  }

  createConversation(m: EntityManager, userId: string, title: string, agent: string): Promise<ConversationEntity> {
    return m.save(m.create(ConversationEntity, { userId, title, agent }));
  }

  async touchConversation(m: EntityManager, id: string, agent: string): Promise<void> {
    await m.update(ConversationEntity, { id }, { agent, updatedAt: new Date() });
  }

  async insertMessages(
    m: EntityManager,
    rows: Array<{
      conversationId: string;
      userId: string;
      runId?: string | null;
      role: MessageRole;
      text: string;
      status: MessageStatus;
    }>,
  ): Promise<MessageEntity[]> {
    const entities = rows.map((r) =>
      m.create(MessageEntity, {
        conversationId: r.conversationId,
        userId: r.userId,
        runId: r.runId ?? null,
        role: r.role,
        content: [{ type: 'text', text: r.text }],
        status: r.status,
      }),
    );
    // One statement per message keeps `seq` in the order given.
    const saved: MessageEntity[] = [];
    for (const e of entities) saved.push(await m.save(e));
    return saved;
  }

  async insertRun(
    m: EntityManager,
    run: Pick<RunEntity, 'conversationId' | 'userId' | 'agent' | 'model' | 'context' | 'idempotencyKey'>,
  ): Promise<RunEntity> {
    try {
      return await m.save(
        m.create(RunEntity, { ...run, status: 'running', usage: { input_tokens: 0, output_tokens: 0 } }),
      );
    } catch (err) {
      const driver =
        err instanceof QueryFailedError ? (err.driverError as { code?: string; constraint?: string }) : undefined;
      if (driver?.code === UNIQUE_VIOLATION) {
        throw driver.constraint === 'runs_user_idempotency_key'
          ? new IdempotentRequestInProgress()
          : new ConversationBusy();
      }
      throw err;
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

  async saveAssistantText(messageId: string, text: string): Promise<void> {
    await this.db.getRepository(MessageEntity).update({ id: messageId }, { content: [{ type: 'text', text }] });
  }

  async insertToolCall(row: Omit<ToolCallEntity, 'id' | 'createdAt'>): Promise<void> {
    const repo = this.db.getRepository(ToolCallEntity);
    await repo.save(repo.create(row));
  }

  async finishRun(args: {
    runId: string;
    messageId: string;
    text: string;
    status: Exclude<RunRowStatus, 'running'>;
    stopReason: string | null;
    usage: { input_tokens: number; output_tokens: number };
    error: { code: string; message: string } | null;
  }): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.update(
        MessageEntity,
        { id: args.messageId },
        { content: [{ type: 'text', text: args.text }], status: args.status },
      );
      await m.update(
        RunEntity,
        { id: args.runId },
        {
          status: args.status,
          stopReason: args.stopReason,
          usage: args.usage,
          error: args.error,
          finishedAt: new Date(),
        },
      );
    });
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
