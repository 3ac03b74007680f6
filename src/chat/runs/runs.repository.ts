import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, QueryFailedError } from 'typeorm';
import { PreparedStatements, statement, type Statement } from '../../database/prepared-statements.js';
import { ACTIVE_RUN_STATUSES, type FinishedRunStatus, type RunStatus } from '../../runs/run-stream-event.js';
import { conversationAccess } from '../conversation-access.sql.js';
import type { ConversationRole } from '../entities/conversation-member.entity.js';
import type { MessageRole } from '../entities/message.entity.js';
import { ConversationEntity } from '../entities/conversation.entity.js';
import { RunEntity, type OnDisconnect } from '../entities/run.entity.js';
import { ToolCallEntity } from '../entities/tool-call.entity.js';

const UNIQUE_VIOLATION = '23505';
const ACTIVE = `('queued', 'running', 'waiting')`;

export interface NewRun {
  userId: string;
  /** An existing conversation of the user's, or the id to create a new one with. */
  conversationId: string;
  /** `null`: a new conversation. Else the `seq` the history was read through (a run that is not queued is refused
   * if a message was added since), or `'queue'` for a run queued behind the active one (no history was read). */
  historyThroughSeq: string | null | 'queue';
  runId: string;
  /** The empty assistant message a running run streams into; none for a queued run (made when it starts). */
  assistantMessageId: string | null;
  title: string;
  agent: string;
  model: string;
  context: Record<string, unknown> | null;
  idempotencyKey: string | null;
  messages: Array<{ role: MessageRole; content: string }>;
  instanceId: string;
  background: boolean;
  onDisconnect: OnDisconnect;
}

/** Why a run could not be stored. */
export type OpenRefusal = 'missing' | 'read_only' | 'busy' | 'changed' | 'idempotency_in_progress';

export interface SweptRun {
  id: string;
  conversation_id: string;
}

/**
 * A run's start in one statement: `conversation` creates the conversation or, for a follow-up, touches and
 * row-locks it when it is the user's and (`guard`) nothing forbids the run; then the run and the request's messages
 * (and the empty assistant message of a running run) in order.
 */
function openRunStatement(name: string, conversation: string): Statement {
  return statement(
    name,
    `WITH input AS (SELECT $7::uuid AS id, $8::text AS title),
     conv AS (${conversation}),
     run AS (
       INSERT INTO runs (id, conversation_id, user_id, agent, model, status, context, idempotency_key,
                         instance_id, heartbeat_at, started_at, background, on_disconnect)
       SELECT $9, id, $1, $2, $3, $12::varchar, $4::jsonb, $5, $11, now(),
              CASE WHEN $12::varchar = 'running' THEN now() END, $13, $14
       FROM conv
       RETURNING id, conversation_id
     ),
     msgs AS (
       INSERT INTO messages (id, conversation_id, user_id, run_id, role, content, status)
       SELECT CASE WHEN m.assistant THEN $10::uuid ELSE gen_random_uuid() END,
              run.conversation_id, $1, run.id, m.role, m.content, m.status
       FROM run, jsonb_to_recordset($6::jsonb) AS m(ord int, role text, content jsonb, status text, assistant boolean)
       ORDER BY m.ord
       RETURNING id
     )
     SELECT 1 FROM run`,
  );
}

const OPEN_NEW_RUN = openRunStatement(
  'runs_open_new',
  `INSERT INTO conversations (id, user_id, title, agent) SELECT id, $1, title, $2 FROM input RETURNING id`,
);

/**
 * A follow-up that does not queue, by the owner or a participant: refused while a run is active or queued, or once
 * a newer message landed.
 */
const OPEN_FOLLOW_UP_RUN = openRunStatement(
  'runs_open_follow_up',
  `UPDATE conversations c SET agent = $2, updated_at = now() FROM input
   WHERE c.id = input.id AND ${conversationAccess.writable('$1')}
     AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.seq > $15::bigint)
     AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.conversation_id = c.id AND r.status IN ${ACTIVE})
   RETURNING c.id`,
);

/** A run queued behind the active one: its history is read when it starts. */
const OPEN_QUEUED_RUN = openRunStatement(
  'runs_open_queued',
  `UPDATE conversations c SET agent = $2, updated_at = now() FROM input
   WHERE c.id = input.id AND ${conversationAccess.writable('$1')}
   RETURNING c.id`,
);

/**
 * Starts a queued run when it is the first of its conversation's queue and no run is active (the partial unique
 * index refuses a second active run), with the empty assistant message it streams into.
 */
const START_QUEUED_RUN = statement(
  'runs_start_queued',
  `WITH run AS (
     UPDATE runs r SET status = 'running', started_at = now(), heartbeat_at = now(), instance_id = $2
     WHERE r.id = $1 AND r.status = 'queued'
       AND NOT EXISTS (
         SELECT 1 FROM runs q WHERE q.conversation_id = r.conversation_id AND q.status = 'queued'
           AND (q.created_at, q.id) < (r.created_at, r.id))
     RETURNING r.id, r.conversation_id, r.user_id
   )
   INSERT INTO messages (id, conversation_id, user_id, run_id, role, content, status)
   SELECT $3, conversation_id, user_id, id, 'assistant', '[{"type":"text","text":""}]'::jsonb, 'streaming' FROM run
   RETURNING id`,
);

const QUEUE_POSITION = statement(
  'runs_queue_position',
  `SELECT count(*)::int AS ahead FROM runs q, runs r
   WHERE r.id = $1 AND q.conversation_id = r.conversation_id AND q.status = 'queued'
     AND (q.created_at, q.id) < (r.created_at, r.id)`,
);

/** Only messages still `streaming`: a batch that lands after a run's final save cannot overwrite its text. */
const SAVE_STREAMING_TEXTS = statement(
  'runs_save_streaming_texts',
  `UPDATE messages AS m
   SET content = jsonb_build_array(jsonb_build_object('type', 'text', 'text', v.text))
   FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, text text)
   WHERE m.id = v.id AND m.status = 'streaming'`,
);

/**
 * The end of a run and of its assistant message, in one statement, only while this instance still drives it: a
 * state another instance decided meanwhile (a sweep, a delete) is never overwritten. Returns the run's id when saved.
 */
const FINISH_RUN = statement(
  'runs_finish',
  `WITH run AS (
     UPDATE runs SET status = $4, stop_reason = $5, usage = $6::jsonb, error = $7::jsonb, finished_at = now(),
                     last_event_id = $8, heartbeat_at = NULL
     WHERE id = $1 AND instance_id = $9 AND status IN ${ACTIVE}
     RETURNING id
   ),
   msg AS (
     UPDATE messages SET content = jsonb_build_array(jsonb_build_object('type', 'text', 'text', $3::text)),
                         status = $4
     WHERE id = $2 AND EXISTS (SELECT 1 FROM run)
   )
   SELECT id FROM run`,
);

const HEARTBEAT = statement(
  'runs_heartbeat',
  `UPDATE runs SET heartbeat_at = now() WHERE instance_id = $1 AND status IN ${ACTIVE} RETURNING id`,
);

/** Runs whose driving instance stopped renewing their heartbeat: `interrupted`, the saved prefix kept. */
const SWEEP_STALE = statement(
  'runs_sweep_stale',
  `WITH stale AS (
     UPDATE runs SET status = 'interrupted', stop_reason = 'interrupted', finished_at = now(), heartbeat_at = NULL,
            error = '{"code":"INTERRUPTED","message":"The server stopped during this run"}'::jsonb
     WHERE status IN ${ACTIVE}
       AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $1::double precision / 1000))
     RETURNING id, conversation_id
   ),
   msgs AS (
     UPDATE messages m SET status = 'interrupted' FROM stale WHERE m.run_id = stale.id AND m.status = 'streaming'
   )
   SELECT id, conversation_id FROM stale`,
);

/** Runs, their tool calls and their liveness. Reads of one run are scoped by user. */
@Injectable()
export class RunsRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly statements: PreparedStatements,
  ) {}

  /**
   * Stores a run's start in one statement (one round trip, atomic without an explicit transaction). The ids are
   * made by the caller, so a model request can start before this commits. Resolves to a refusal when the run
   * cannot be stored, else undefined.
   */
  async openRun(run: NewRun): Promise<OpenRefusal | undefined> {
    const rows = [
      ...run.messages.map((m) => ({
        role: m.role,
        content: [{ type: 'text', text: m.content }],
        status: 'completed',
        assistant: false,
      })),
      ...(run.assistantMessageId
        ? [{ role: 'assistant', content: [{ type: 'text', text: '' }], status: 'streaming', assistant: true }]
        : []),
    ].map((row, ord) => ({ ord, ...row }));
    const follow = run.historyThroughSeq;
    const sql = follow === null ? OPEN_NEW_RUN : follow === 'queue' ? OPEN_QUEUED_RUN : OPEN_FOLLOW_UP_RUN;
    try {
      const stored = await this.statements.rows(sql, [
        run.userId,
        run.agent,
        run.model,
        run.context === null ? null : JSON.stringify(run.context),
        run.idempotencyKey,
        JSON.stringify(rows),
        run.conversationId,
        run.title,
        run.runId,
        run.assistantMessageId,
        run.instanceId,
        run.assistantMessageId ? 'running' : 'queued',
        run.background,
        run.onDisconnect,
        // $15 only where the statement uses it: PostgreSQL refuses a parameter it cannot type.
        ...(follow === null || follow === 'queue' ? [] : [follow]),
      ]);
      if (stored.length) return undefined;
    } catch (err) {
      const driver =
        err instanceof QueryFailedError ? (err.driverError as { code?: string; constraint?: string }) : undefined;
      if (driver?.code !== UNIQUE_VIOLATION) throw err;
      return driver.constraint === 'runs_user_idempotency_key' ? 'idempotency_in_progress' : 'busy';
    }
    return this.whyNotOpened(run.conversationId, run.userId);
  }

  /** Starts a queued run if it is next and the conversation is free; resolves whether it started. */
  async startQueuedRun(runId: string, instanceId: string, assistantMessageId: string): Promise<boolean> {
    try {
      return (await this.statements.rows(START_QUEUED_RUN, [runId, instanceId, assistantMessageId])).length > 0;
    } catch (err) {
      const driver = err instanceof QueryFailedError ? (err.driverError as { code?: string }) : undefined;
      if (driver?.code === UNIQUE_VIOLATION) return false;
      throw err;
    }
  }

  /** 1 for the next run of its conversation's queue. */
  async queuePosition(runId: string): Promise<number> {
    const [row] = await this.statements.rows<{ ahead: number }>(QUEUE_POSITION, [runId]);
    return (row?.ahead ?? 0) + 1;
  }

  /**
   * A run of a conversation the user may see (owner or member), with the user's role in it; null otherwise (a
   * stranger's run looks like none).
   */
  async findVisibleRun(id: string, userId: string): Promise<{ run: RunEntity; role: ConversationRole } | null> {
    const found = await this.db
      .getRepository(RunEntity)
      .createQueryBuilder('r')
      .innerJoin(ConversationEntity, 'c', 'c.id = r.conversation_id')
      .addSelect(conversationAccess.role(':user'), 'role')
      .where('r.id = :id', { id })
      .andWhere(conversationAccess.visible(':user'), { user: userId })
      .getRawAndEntities<{ role: ConversationRole }>();
    const [run] = found.entities;
    return run ? { run, role: found.raw[0].role } : null;
  }

  /** A run by id alone, for callers that already checked who may see it. */
  findRunById(id: string): Promise<RunEntity | null> {
    return this.db.getRepository(RunEntity).findOneBy({ id });
  }

  findRunByIdempotencyKey(userId: string, key: string): Promise<RunEntity | null> {
    return this.db.getRepository(RunEntity).findOneBy({ userId, idempotencyKey: key });
  }

  /** The conversation's active runs (queued, running, waiting), oldest first. */
  activeRuns(conversationId: string): Promise<RunEntity[]> {
    return this.db.getRepository(RunEntity).find({
      where: { conversationId, status: In([...ACTIVE_RUN_STATUSES]) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /** The ids of the conversation's runs stored after `runId`, in the order they were stored. */
  async runsStoredAfter(conversationId: string, runId: string): Promise<string[]> {
    const rows = await this.db.query<Array<{ id: string }>>(
      `SELECT r.id FROM runs r, runs x
       WHERE x.id = $2 AND r.conversation_id = $1 AND (r.created_at, r.id) > (x.created_at, x.id)
       ORDER BY r.created_at, r.id`,
      [conversationId, runId],
    );
    return rows.map((r) => r.id);
  }

  async status(runId: string): Promise<RunStatus | undefined> {
    const run = await this.db.getRepository(RunEntity).findOne({ where: { id: runId }, select: { status: true } });
    return run?.status;
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

  listToolCalls(runIds: string[]): Promise<ToolCallEntity[]> {
    if (!runIds.length) return Promise.resolve([]);
    return this.db.getRepository(ToolCallEntity).find({ where: { runId: In(runIds) }, order: { createdAt: 'ASC' } });
  }

  /**
   * The final state of a run and its assistant message, if `instanceId` still drives it; resolves whether it was
   * saved (false: another instance decided the run's state first).
   */
  async finishRun(args: {
    runId: string;
    messageId: string | null;
    text: string;
    status: FinishedRunStatus;
    stopReason: string | null;
    usage: { input_tokens: number; output_tokens: number };
    error: { code: string; message: string } | null;
    lastEventId: number;
    instanceId: string;
  }): Promise<boolean> {
    const rows = await this.statements.rows(FINISH_RUN, [
      args.runId,
      args.messageId,
      args.text,
      args.status,
      args.stopReason,
      JSON.stringify(args.usage),
      args.error === null ? null : JSON.stringify(args.error),
      args.lastEventId,
      args.instanceId,
    ]);
    return rows.length > 0;
  }

  /** Renews the heartbeat of every active run this instance drives; resolves to the ids it still drives. */
  async heartbeat(instanceId: string): Promise<string[]> {
    return (await this.statements.rows<{ id: string }>(HEARTBEAT, [instanceId])).map((r) => r.id);
  }

  /** Marks active runs whose heartbeat is older than `staleMs` (all of them at 0) interrupted. */
  sweepStale(staleMs: number): Promise<SweptRun[]> {
    return this.statements.rows<SweptRun & Record<string, unknown>>(SWEEP_STALE, [staleMs]);
  }

  private async whyNotOpened(conversationId: string, userId: string): Promise<OpenRefusal> {
    const conversation = await this.db.query<Array<{ active: boolean; role: ConversationRole | null }>>(
      `SELECT EXISTS (SELECT 1 FROM runs r WHERE r.conversation_id = c.id AND r.status IN ${ACTIVE}) AS active,
              ${conversationAccess.role('$2')} AS role
       FROM conversations c WHERE c.id = $1`,
      [conversationId, userId],
    );
    const [row] = conversation;
    if (!row?.role) return 'missing';
    if (row.role === 'viewer') return 'read_only';
    return row.active ? 'busy' : 'changed';
  }
}
