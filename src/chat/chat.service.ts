import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AgentDefinitions, DEFAULT_AGENT } from '../agents/agent-definitions.service.js';
import type { AgentDefinition } from '../agents/agent-definition.js';
import type { RunEvent } from '../agents/runtime/run-event.js';
import { AgentRuntimeService } from '../agents/runtime/agent-runtime.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { AgentNotFound } from '../agents/agents.errors.js';
import { ValidationFailedError } from '../common/errors/app.error.js';
import { AppConfig } from '../config/app-config.js';
import { ChatRepository } from './chat.repository.js';
import { ConversationBusy, ConversationChanged, ConversationNotFound, IdempotencyInProgress } from './chat.errors.js';
import type { RunEntity } from './entities/run.entity.js';
import { replayRun } from './runs/replay-run.js';
import { ChatRequestDto } from './dto/chat-request.dto.js';
import { ChatResponseDto, ToolCallDto } from './dto/chat-responses.dto.js';
import { ActiveRuns, RunCancelled } from './runs/active-runs.js';
import { RunProgressWriter } from './runs/run-progress-writer.js';
import { RunRecorder } from './runs/run-recorder.js';
import { startEarly, type EarlyStart } from './runs/start-early.js';
import { toModelInput } from './runs/to-llm-history.js';

/** A run that has been accepted: the user's turn is committed; iterate `events` to drive it. */
export interface StartedRun {
  conversationId: string;
  runId: string;
  agent: string;
  model: string;
  events: AsyncGenerator<RunEvent>;
  /** True when this answers a retried request from storage instead of running the agent again. */
  replayed?: boolean;
  abort(why: RunCancelled['why']): void;
}

const TITLE_MAX = 80;

/**
 * Which leaves first, a new run's commit or its early model request (the SDK's request setup is 1–2 ms of CPU on
 * a small machine): the commit's query, which waits on another process (PostgreSQL) or thread (embedded PGlite's
 * worker), so the SDK builds the model request while the database commits. Measured side by side, requests
 * interleaved (first token p50): PostgreSQL 0.8 ms sooner commit-first; PGlite in its worker 0.2–0.4 ms sooner
 * commit-first (in the app's thread it was the other way round, 0.4–0.8 ms sooner model-first).
 */
const MODEL_REQUEST_START: EarlyStart = 'next-turn';

@Injectable()
export class ChatService {
  constructor(
    private readonly repo: ChatRepository,
    private readonly agents: AgentDefinitions,
    private readonly runtime: AgentRuntimeService,
    private readonly activeRuns: ActiveRuns,
    private readonly progress: RunProgressWriter,
    private readonly config: AppConfig,
  ) {}

  /**
   * Validates the request, commits the user's turn, the run and an empty assistant message in one transaction
   * (before any model call), and returns the run ready to drive.
   */
  async start(user: AuthUser, dto: ChatRequestDto, idempotencyKey?: string): Promise<StartedRun> {
    const last = dto.messages[dto.messages.length - 1];
    if (last.role !== 'user')
      throw new ValidationFailedError([
        { field: `messages.${dto.messages.length - 1}.role`, message: 'the last message must be from the user' },
      ]);

    if (idempotencyKey) {
      const previous = await this.repo.findRunByIdempotencyKey(user.id, idempotencyKey);
      if (previous) return this.replay(previous);
    }
    const release = this.activeRuns.reserve(user.id, this.config.maxConcurrentRunsPerUser);
    try {
      return await this.open(user, dto, release, idempotencyKey);
    } catch (err) {
      release();
      throw err;
    }
  }

  private async open(
    user: AuthUser,
    dto: ChatRequestDto,
    release: () => void,
    idempotencyKey?: string,
  ): Promise<StartedRun> {
    // A follow-up's history is read before its run is stored, so its model request can start while the turn
    // commits, as a new conversation's does. That read stays what the model sees: a run still streaming here is
    // refused now (as the commit would refuse it), a run that starts meanwhile makes the commit fail (one running
    // run per conversation), and the commit also fails if a message was added after the read.
    const existing = dto.conversation_id ? await this.repo.findConversationHistory(dto.conversation_id, user.id) : null;
    if (dto.conversation_id && !existing) throw new ConversationNotFound();
    if (existing?.messages.some((m) => m.status === 'streaming')) throw new ConversationBusy();
    const agent = this.resolveAgent(dto.agent ?? existing?.agent ?? DEFAULT_AGENT);
    const model = dto.model ?? agent.model;
    if (!agent.allowedModels.includes(model)) {
      throw new ValidationFailedError([
        { field: 'model', message: `model must be one of: ${agent.allowedModels.join(', ')}` },
      ]);
    }
    const ids = { conversationId: existing?.id ?? randomUUID(), runId: randomUUID(), messageId: randomUUID() };
    const controller = new AbortController();
    // The model request starts while the turn is being committed: the first token does not wait for the database.
    // Nothing reaches the client (and no tool runs) before the commit; if it fails, the model request is abandoned
    // or aborted.
    const { history, clientInstructions } = toModelInput([
      ...(existing?.messages ?? []),
      ...dto.messages.map((m) => ({ role: m.role, text: m.content })),
    ]);
    const events = startEarly(
      this.runtime.run({
        agent,
        model,
        history,
        clientInstructions,
        clientContext: dto.context,
        userId: user.id,
        runId: ids.runId,
        conversationId: ids.conversationId,
        signal: controller.signal,
      }),
      MODEL_REQUEST_START,
    );
    try {
      // The user's turn is committed before anything is acknowledged: a crash from here on loses nothing.
      const opened = await this.repo.openRun({
        userId: user.id,
        conversationId: ids.conversationId,
        historyThroughSeq: existing?.throughSeq ?? null,
        runId: ids.runId,
        assistantMessageId: ids.messageId,
        title: titleFrom(dto),
        agent: agent.name,
        model,
        context: dto.context ?? null,
        idempotencyKey: idempotencyKey ?? null,
        messages: dto.messages,
      });
      if (!opened) {
        // Deleted in the meantime, or another run added to it since the history was read.
        throw existing && (await this.repo.findConversation(ids.conversationId, user.id))
          ? new ConversationChanged()
          : new ConversationNotFound();
      }
    } catch (err) {
      controller.abort(new RunCancelled('not_started'));
      void events.return(undefined);
      throw err;
    }

    let markFinished!: () => void;
    const finished = new Promise<void>((resolve) => (markFinished = resolve)).finally(release);
    this.activeRuns.add(ids.conversationId, { runId: ids.runId, userId: user.id, controller, finished });

    // If the database goes away mid-run the answer cannot be saved: stop the run rather than stream into the void.
    const recorder = new RunRecorder(
      this.repo,
      this.progress,
      { runId: ids.runId, messageId: ids.messageId, userId: user.id },
      () => controller.abort(new RunCancelled('storage_unavailable')),
    );

    return {
      conversationId: ids.conversationId,
      runId: ids.runId,
      agent: agent.name,
      model,
      events: record(events, recorder, markFinished),
      abort: (why) => controller.abort(new RunCancelled(why)),
    };
  }

  /** A retried request: the first attempt's run, replayed from storage (or 409 while it is still running). */
  private async replay(run: RunEntity): Promise<StartedRun> {
    if (run.status === 'running') throw new IdempotencyInProgress();
    const [message, toolCalls] = await Promise.all([
      this.repo.findRunMessage(run.id),
      this.repo.listToolCalls([run.id]),
    ]);
    return {
      conversationId: run.conversationId,
      runId: run.id,
      agent: run.agent,
      model: run.model,
      replayed: true,
      events: replayRun(run, message, toolCalls),
      abort: () => undefined,
    };
  }

  /** Drives a run to its end and returns the JSON form of the answer (`stream: false`). */
  async collect(run: StartedRun): Promise<ChatResponseDto> {
    let text = '';
    const toolCalls: ToolCallDto[] = [];
    const response: ChatResponseDto = {
      conversation_id: run.conversationId,
      run_id: run.runId,
      status: 'failed',
      message: { role: 'assistant', content: '' },
      tool_calls: toolCalls,
      usage: { input_tokens: 0, output_tokens: 0 },
    };
    for await (const event of run.events) {
      if (event.type === 'text_delta') text += event.text;
      else if (event.type === 'tool_result') toolCalls.push(toToolCallDto(event));
      else if (event.type === 'usage')
        response.usage = { input_tokens: event.input_tokens, output_tokens: event.output_tokens };
      else if (event.type === 'error')
        response.error = { code: event.code, message: event.message, recoverable: event.recoverable };
      else if (event.type === 'finished') response.status = event.status;
    }
    response.message.content = text;
    return response;
  }

  private resolveAgent(name: string): AgentDefinition {
    try {
      return this.agents.get(name);
    } catch (err) {
      if (err instanceof AgentNotFound)
        throw new ValidationFailedError([{ field: 'agent', message: `unknown agent "${name}"` }]);
      throw err;
    }
  }
}

export function toToolCallDto(e: Extract<RunEvent, { type: 'tool_result' }>): ToolCallDto {
  return {
    id: e.id,
    name: e.name,
    input: e.input,
    ...(e.error ? { error: e.error } : { result: e.result }),
    duration_ms: e.duration_ms,
  };
}

function titleFrom(dto: ChatRequestDto): string {
  const first = dto.messages.find((m) => m.role === 'user')?.content ?? 'Conversation';
  const oneLine = first.replace(/\s+/g, ' ').trim();
  return oneLine.length > TITLE_MAX ? `${oneLine.slice(0, TITLE_MAX - 1)}…` : oneLine;
}

/** Passes events through while the recorder persists them; saves the final state however the stream ends. */
async function* record(
  events: AsyncGenerator<RunEvent>,
  recorder: RunRecorder,
  markFinished: () => void,
): AsyncGenerator<RunEvent> {
  let finished: Extract<RunEvent, { type: 'finished' }> | undefined;
  let usage = { input_tokens: 0, output_tokens: 0 };
  let error: { code: string; message: string } | null = null;
  try {
    for await (let event of events) {
      if (event.type === 'finished' && recorder.storageLost) {
        // Stopped because progress could not be saved: the client must not take this answer as finished.
        error = { code: 'SERVICE_UNAVAILABLE', message: 'The database became unavailable; this answer was not saved' };
        yield { type: 'error', ...error, recoverable: true };
        event = { type: 'finished', status: 'failed', stop_reason: 'error' };
      }
      if (event.type === 'text_delta') recorder.appendText(event.text);
      else if (event.type === 'tool_result') recorder.recordToolResult(event);
      else if (event.type === 'usage') usage = { input_tokens: event.input_tokens, output_tokens: event.output_tokens };
      else if (event.type === 'error') error = { code: event.code, message: event.message };
      else if (event.type === 'finished') {
        finished = event;
        // The final state is saved before the client hears the run is over, so a reload right after sees it.
        await recorder.finish({ status: event.status, stopReason: event.stop_reason, usage, error });
      }
      yield event;
    }
  } finally {
    if (!finished) await recorder.finish({ status: 'cancelled', stopReason: 'cancelled', usage, error });
    markFinished();
  }
}
