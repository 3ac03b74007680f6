import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AgentDefinition } from '../../agents/agent-definition.js';
import { AgentDefinitions, DEFAULT_AGENT } from '../../agents/agent-definitions.service.js';
import { AgentNotFound } from '../../agents/agents.errors.js';
import type { RunEvent } from '../../agents/runtime/run-event.js';
import { AgentRuntimeService } from '../../agents/runtime/agent-runtime.service.js';
import { ClusterEvents } from '../../cluster/cluster-events.js';
import { Instance } from '../../cluster/instance.js';
import { ValidationFailedError } from '../../common/errors/app.error.js';
import { RunEventLog } from '../../runs/event-log/run-event-log.js';
import { RunControl, RunStopped } from '../../runs/run-control.js';
import type { FinishedRunStatus, RunStreamEvent } from '../../runs/run-stream-event.js';
import { RunSlots } from '../../runs/slots/run-slots.js';
import { ChatRepository, type ConversationHistory } from '../chat.repository.js';
import {
  ConversationBusy,
  ConversationChanged,
  ConversationNotFound,
  ConversationReadOnly,
  IdempotencyInProgress,
} from '../chat.errors.js';
import { RUN_STORED } from '../conversation-events.js';
import type { MessageRole } from '../entities/message.entity.js';
import type { OnDisconnect, RunEntity } from '../entities/run.entity.js';
import { CHARS_PER_TOKEN, toModelInput } from './model-input.js';
import { RunProgressWriter } from './run-progress-writer.js';
import { RunRecorder } from './run-recorder.js';
import { runStarted, toStreamEvent } from './run-stream-events.js';
import { RunsRepository, type OpenRefusal } from './runs.repository.js';
import { startEarly, type EarlyStart } from './start-early.js';
import { waitForTurn } from './wait-for-turn.js';

export type IfBusy = 'reject' | 'interrupt' | 'enqueue';

/** One user turn to be answered by one agent, from any entry point (HTTP, WebSocket, a task). */
export interface RunRequest {
  userId: string;
  /** The client's address, for the per-address cap on active runs. */
  address?: string;
  /** The new turn(s); the last is the user's. */
  messages: Array<{ role: MessageRole; content: string }>;
  conversationId?: string;
  agent?: string;
  model?: string;
  context?: Record<string, unknown>;
  idempotencyKey?: string;
  background?: boolean;
  onDisconnect?: OnDisconnect;
  ifBusy?: IfBusy;
  /**
   * Answer again the turn of this earlier run of `conversationId`, which ended without its answer (a task's attempt
   * whose worker died): `messages` is empty, so the turn is not stored twice; the earlier run's partial answer is
   * left out of what the model sees; refused with CONVERSATION_CHANGED when anything was stored after that run, and
   * with CONVERSATION_BUSY when a run is active.
   */
  retryOf?: string;
}

/** A run the pipeline accepted (or, for a retried request, the one it had accepted): follow its events by id. */
export interface AcceptedRun {
  runId: string;
  conversationId: string;
  agent: string;
  model: string;
  status: RunEntity['status'];
  onDisconnect: OnDisconnect;
  /** True when this answers a retried request (same Idempotency-Key) with the first attempt's run. */
  replayed: boolean;
}

/** A run being driven by this instance. */
interface Drive {
  request: RunRequest;
  runId: string;
  conversationId: string;
  agent: AgentDefinition;
  model: string;
  controller: AbortController;
  recorder: RunRecorder;
  release: () => void;
  /** The runtime's events; undefined for a queued run until it starts. */
  events?: AsyncGenerator<RunEvent>;
  /** Set when the run's event log could not be kept. */
  logLost?: boolean;
  /** Client context that arrived while the run goes on (merged), for the model's next turn. */
  pendingContext?: Record<string, unknown>;
}

const TITLE_MAX = 80;
/** Attempts at storing a run that found the conversation busy again after an interrupt, or a queue that moved. */
const COMMIT_ATTEMPTS = 3;

/**
 * Which leaves first, a new run's commit or its early model request (the SDK's request setup is 1–2 ms of CPU):
 * the commit's query, which waits on another process or thread, so the SDK builds the model request meanwhile.
 */
const MODEL_REQUEST_START: EarlyStart = 'next-turn';

/**
 * The life of a run, in order:
 * - accept: check the turn, answer a retried request from its first run, take a slot under the caps, read the
 *   conversation (its history within the agent's context budget), resolve agent and model, and settle a busy
 *   conversation (`if_busy`: refuse, interrupt what runs, or queue behind it);
 * - commit: store the user's turn, the run and an empty assistant message in one statement before anything is
 *   streamed (the model request starts meanwhile and is abandoned if the commit is refused);
 * - drive: in the background, independent of any client, run the agent and append each event to the run's log,
 *   which every client follows (the requester's stream, a resume, a watcher);
 * - record: persist the answer as it streams and every tool call;
 * - finish: save the end (never over a state another instance decided), then `run_finished`, close the log, free
 *   the slot and tell every instance the run ended.
 */
@Injectable()
export class RunPipeline {
  private readonly logger = new Logger(RunPipeline.name);

  constructor(
    private readonly chat: ChatRepository,
    private readonly runs: RunsRepository,
    private readonly agents: AgentDefinitions,
    private readonly runtime: AgentRuntimeService,
    private readonly log: RunEventLog,
    private readonly control: RunControl,
    private readonly slots: RunSlots,
    private readonly progress: RunProgressWriter,
    private readonly instance: Instance,
    private readonly events: ClusterEvents,
  ) {}

  async start(request: RunRequest): Promise<AcceptedRun> {
    if (request.retryOf) assertRetry(request);
    else assertEndsWithUserTurn(request.messages);
    if (request.idempotencyKey) {
      const previous = await this.runs.findRunByIdempotencyKey(request.userId, request.idempotencyKey);
      if (previous) return this.replay(previous);
    }
    const runId = randomUUID();
    const release = await this.slots.acquire({ runId, userId: request.userId, address: request.address });
    try {
      return await this.accept(request, runId, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  private async accept(request: RunRequest, runId: string, release: () => void): Promise<AcceptedRun> {
    const ifBusy = request.ifBusy ?? 'reject';
    for (let attempt = 1; ; attempt++) {
      const requested = request.agent ? this.resolveAgent(request.agent) : undefined;
      const read = request.conversationId
        ? await this.readConversation(request.conversationId, request.userId, requested ?? this.defaultAgent(), {
            newTurn: request.messages,
          })
        : null;
      if (read?.role === 'viewer') throw new ConversationReadOnly();
      const agent = requested ?? this.resolveAgent(read?.agent ?? DEFAULT_AGENT);
      // Read with the requested (or default) agent's budget; the conversation's own agent may allow less.
      let conversation = read && fitToBudget(read, historyBudget(agent, request.messages));
      const model = resolveModel(agent, request.model);
      if (conversation && request.retryOf) conversation = await this.retryTurn(conversation, request.retryOf);
      if (conversation?.busy) {
        if (ifBusy === 'reject' || request.retryOf) throw new ConversationBusy();
        if (ifBusy === 'interrupt') {
          await this.interrupt(conversation.id);
          continue;
        }
        const queued = await this.commit(request, runId, release, { agent, model, conversation, queued: true });
        if (queued) return queued;
        continue;
      }
      const accepted = await this.commit(request, runId, release, { agent, model, conversation, queued: false });
      if (accepted) return accepted;
      if (ifBusy === 'reject' || request.retryOf || attempt >= COMMIT_ATTEMPTS) throw new ConversationBusy();
    }
  }

  /**
   * The history a retried turn is answered from: the conversation must end with the earlier run (its commit's
   * guard refuses the retry if anything lands meanwhile), and that run's partial answer, the last message when it
   * has one, is left out.
   */
  private async retryTurn(conversation: ConversationHistory, retryOf: string): Promise<ConversationHistory> {
    if ((await this.runs.runsStoredAfter(conversation.id, retryOf)).length) throw new ConversationChanged();
    const last = conversation.messages[conversation.messages.length - 1];
    if (last?.role !== 'assistant' || last.status === 'completed') return conversation;
    return { ...conversation, messages: conversation.messages.slice(0, -1) };
  }

  /** Stores the run; resolves undefined when the conversation turned busy meanwhile (the caller may try again). */
  private async commit(
    request: RunRequest,
    runId: string,
    release: () => void,
    plan: { agent: AgentDefinition; model: string; conversation: ConversationHistory | null; queued: boolean },
  ): Promise<AcceptedRun | undefined> {
    const { agent, model, conversation, queued } = plan;
    const conversationId = conversation?.id ?? randomUUID();
    const messageId = queued ? null : randomUUID();
    const controller = new AbortController();
    const drive: Drive = {
      request,
      runId,
      conversationId,
      agent,
      model,
      controller,
      release,
      recorder: new RunRecorder(
        this.runs,
        this.progress,
        { runId, messageId, userId: request.userId, instanceId: this.instance.id },
        // If the database goes away mid-run the answer cannot be saved: stop rather than stream into the void.
        () => controller.abort(new RunStopped('storage_unavailable')),
      ),
    };
    // A running run's model request starts while its turn is being stored: the first token does not wait for the
    // database. Nothing reaches a client and no tool runs before the commit; a refused commit abandons the request.
    if (!queued) drive.events = startEarly(this.runAgent(drive, conversation), MODEL_REQUEST_START);
    this.log.open(runId, () => {
      drive.logLost = true;
      controller.abort(new RunStopped('storage_unavailable'));
    });
    let refusal: OpenRefusal | undefined;
    try {
      refusal = await this.runs.openRun({
        userId: request.userId,
        conversationId,
        historyThroughSeq: conversation === null ? null : queued ? 'queue' : conversation.throughSeq,
        runId,
        assistantMessageId: messageId,
        title: titleFrom(request.messages),
        agent: agent.name,
        model,
        context: request.context ?? null,
        idempotencyKey: request.idempotencyKey ?? null,
        messages: request.messages,
        instanceId: this.instance.id,
        background: request.background ?? false,
        onDisconnect: request.onDisconnect ?? 'cancel',
      });
    } catch (err) {
      this.abandon(drive);
      throw err;
    }
    if (refusal) {
      this.abandon(drive);
      if (refusal === 'busy') return undefined;
      if (refusal === 'missing') throw new ConversationNotFound();
      if (refusal === 'read_only') throw new ConversationReadOnly();
      if (refusal === 'changed') throw new ConversationChanged();
      throw new IdempotencyInProgress();
    }
    // Watchers of the conversation, on any instance, start following the run.
    void this.events.publish(RUN_STORED, { conversationId, runId }).catch(() => undefined);
    const finished = this.drive(drive).catch((err: unknown) =>
      this.logger.error({ msg: 'run driver failed', run_id: runId, error: err instanceof Error ? err.stack : err }),
    );
    this.control.register({
      runId,
      conversationId,
      stop: (why) => controller.abort(new RunStopped(why)),
      addContext: (context) => (drive.pendingContext = { ...drive.pendingContext, ...context }),
      finished,
    });
    return {
      runId,
      conversationId,
      agent: agent.name,
      model,
      status: queued ? 'queued' : 'running',
      onDisconnect: request.onDisconnect ?? 'cancel',
      replayed: false,
    };
  }

  /** A commit that did not happen: the early model request, the log and the slot are let go. */
  private abandon(drive: Drive): void {
    drive.controller.abort(new RunStopped('not_started'));
    void drive.events?.return(undefined);
    this.log.discard(drive.runId);
  }

  /** Drives a stored run to its end; never throws for the run's own failures (they become its events). */
  private async drive(drive: Drive): Promise<void> {
    const { runId, recorder, controller } = drive;
    let lastId = 0;
    const append = (event: RunStreamEvent) => (lastId = this.log.append(runId, event));
    let usage = { input_tokens: 0, output_tokens: 0 };
    let error: { code: string; message: string } | null = null;
    let finished: { status: FinishedRunStatus; stop_reason: string | null } | undefined;
    const run = { id: runId, conversationId: drive.conversationId, agent: drive.agent.name, model: drive.model };
    try {
      if (!drive.events) {
        append({ type: 'run_queued', run_id: runId, position: await this.runs.queuePosition(runId) });
        if (!(await this.startQueued(drive))) {
          finished = { status: 'cancelled', stop_reason: stopReasonOf(controller.signal) };
        }
      }
      if (drive.events) {
        append(runStarted(run));
        for await (const event of drive.events) {
          if (event.type === 'finished') {
            finished = { status: event.status, stop_reason: event.stop_reason };
            break;
          }
          if (event.type === 'text_delta') recorder.appendText(event.text);
          else if (event.type === 'tool_result') recorder.recordToolResult(event);
          else if (event.type === 'usage')
            usage = { input_tokens: event.input_tokens, output_tokens: event.output_tokens };
          else if (event.type === 'error') error = { code: event.code, message: event.message };
          append(toStreamEvent(event));
        }
      }
    } catch (err) {
      this.logger.error({ msg: 'run failed', run_id: runId, error: err instanceof Error ? err.stack : String(err) });
      error = { code: 'INTERNAL_ERROR', message: 'The agent run failed unexpectedly' };
      append({ type: 'error', ...error, recoverable: true });
      finished = { status: 'failed', stop_reason: 'error' };
    } finally {
      try {
        await this.finish(drive, { finished, usage, error, lastId, append });
      } finally {
        drive.release();
        await this.control.ended(runId, drive.conversationId).catch(() => undefined);
      }
    }
  }

  private async finish(
    drive: Drive,
    state: {
      finished: { status: FinishedRunStatus; stop_reason: string | null } | undefined;
      usage: { input_tokens: number; output_tokens: number };
      error: { code: string; message: string } | null;
      lastId: number;
      append: (event: RunStreamEvent) => number;
    },
  ): Promise<void> {
    const { runId, recorder, controller } = drive;
    let { finished, error, lastId } = state;
    const lost = recorder.storageLost || drive.logLost;
    if (lost) {
      // Stopped because the run could not be kept: the client must not take this answer as finished.
      error = {
        code: 'SERVICE_UNAVAILABLE',
        message: recorder.storageLost
          ? 'The database became unavailable; this answer was not saved'
          : 'The run event store became unavailable; this run was stopped',
      };
      finished = { status: 'failed', stop_reason: 'error' };
      lastId = state.append({ type: 'error', ...error, recoverable: true });
    } else if (!finished || finished.status === 'cancelled') {
      finished = { status: 'cancelled', stop_reason: stopReasonOf(controller.signal) };
    }
    const saved = await recorder.finish({
      status: finished.status,
      stopReason: finished.stop_reason,
      usage: state.usage,
      error,
      lastEventId: lastId + 1,
    });
    if (saved === 'decided_elsewhere') {
      // Another instance decided this run's end (a sweep, a delete): what clients hear is what was stored.
      const status = await this.runs.status(runId).catch(() => undefined);
      this.logger.warn({ msg: 'run ended elsewhere meanwhile', run_id: runId, status: status ?? 'deleted' });
      finished = { status: isFinished(status) ? status : 'cancelled', stop_reason: finished.stop_reason };
    }
    state.append({ type: 'run_finished', ...finished });
    this.log.close(runId);
  }

  /** Waits for a queued run's turn; resolves false when it was stopped first. */
  private async startQueued(drive: Drive): Promise<boolean> {
    const messageId = randomUUID();
    const started = await waitForTurn({
      conversationId: drive.conversationId,
      signal: drive.controller.signal,
      control: this.control,
      tryStart: () => this.runs.startQueuedRun(drive.runId, this.instance.id, messageId),
    });
    if (!started) return false;
    drive.recorder.streamInto(messageId);
    const conversation = await this.readConversation(drive.conversationId, drive.request.userId, drive.agent, {
      throughRunId: drive.runId,
    });
    // The run's own turn is stored already: it comes with the history.
    drive.events = this.runAgent(drive, conversation, false);
    return true;
  }

  /** The agent loop for a run: its history, the new turn, and the run's abort signal. */
  private runAgent(
    drive: Drive,
    conversation: ConversationHistory | null,
    withNewTurn = true,
  ): AsyncGenerator<RunEvent> {
    const { request } = drive;
    const { history, clientInstructions } = toModelInput(
      [
        ...(conversation?.messages ?? []),
        ...(withNewTurn ? request.messages.map((m) => ({ role: m.role, text: m.content })) : []),
      ],
      conversation?.omitted,
    );
    return this.runtime.run({
      agent: drive.agent,
      model: drive.model,
      history,
      clientInstructions,
      clientContext: request.context,
      takeContextUpdate: () => {
        const update = drive.pendingContext;
        drive.pendingContext = undefined;
        return update;
      },
      userId: request.userId,
      runId: drive.runId,
      conversationId: drive.conversationId,
      signal: drive.controller.signal,
    });
  }

  /**
   * The conversation with as much history as the agent's budget leaves after the new turn (or, for a queued run
   * starting, the history through its own stored turn).
   */
  private async readConversation(
    conversationId: string,
    userId: string,
    agent: AgentDefinition,
    scope: { newTurn?: RunRequest['messages']; throughRunId?: string },
  ): Promise<ConversationHistory> {
    const conversation = await this.chat.findConversationHistory(
      conversationId,
      userId,
      historyBudget(agent, scope.newTurn ?? []),
      scope.throughRunId ?? null,
    );
    if (!conversation) throw new ConversationNotFound();
    return conversation;
  }

  /** `if_busy: interrupt`: the conversation's active and queued runs are stopped (their prefixes kept). */
  private async interrupt(conversationId: string): Promise<void> {
    const active = await this.runs.activeRuns(conversationId);
    await Promise.all(active.map((run) => this.control.stop(run.id, 'interrupted')));
  }

  /** A retried request: the first attempt's run (409 while it is still being accepted or running). */
  private replay(run: RunEntity): AcceptedRun {
    if (run.status === 'queued' || run.status === 'running' || run.status === 'waiting') {
      throw new IdempotencyInProgress();
    }
    return {
      runId: run.id,
      conversationId: run.conversationId,
      agent: run.agent,
      model: run.model,
      status: run.status,
      onDisconnect: 'continue',
      replayed: true,
    };
  }

  private defaultAgent(): AgentDefinition {
    return this.agents.get(DEFAULT_AGENT);
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

/** Characters of history the agent's budget leaves once its prompt and the new turn are counted. */
function historyBudget(agent: AgentDefinition, newTurn: RunRequest['messages']): number {
  const turn = newTurn.reduce((n, m) => n + m.content.length, 0);
  return Math.max(0, agent.maxHistoryTokens * CHARS_PER_TOKEN - agent.systemPrompt.length - turn);
}

/** Drops the oldest messages of a history read with a larger budget until it fits `budget` characters. */
function fitToBudget(conversation: ConversationHistory, budget: number): ConversationHistory {
  let total = 0;
  let keepFrom = conversation.messages.length;
  while (keepFrom > 0 && total + conversation.messages[keepFrom - 1].text.length <= budget) {
    total += conversation.messages[--keepFrom].text.length;
  }
  if (keepFrom === 0) return conversation;
  return { ...conversation, messages: conversation.messages.slice(keepFrom), omitted: conversation.omitted + keepFrom };
}

function assertEndsWithUserTurn(messages: RunRequest['messages']): void {
  if (messages[messages.length - 1]?.role !== 'user') {
    throw new ValidationFailedError([
      { field: `messages.${messages.length - 1}.role`, message: 'the last message must be from the user' },
    ]);
  }
}

function assertRetry(request: RunRequest): void {
  if (request.messages.length || !request.conversationId) {
    throw new ValidationFailedError([
      { field: 'messages', message: 'a retried turn names its conversation and brings no messages' },
    ]);
  }
}

function resolveModel(agent: AgentDefinition, requested: string | undefined): string {
  const model = requested ?? agent.model;
  if (!agent.allowedModels.includes(model)) {
    throw new ValidationFailedError([
      { field: 'model', message: `model must be one of: ${agent.allowedModels.join(', ')}` },
    ]);
  }
  return model;
}

/** `interrupted` when another turn interrupted the run; `cancelled` for every other stop. */
function stopReasonOf(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof RunStopped && reason.why === 'interrupted' ? 'interrupted' : 'cancelled';
}

function isFinished(status: RunEntity['status'] | undefined): status is FinishedRunStatus {
  return status === 'completed' || status === 'cancelled' || status === 'failed' || status === 'interrupted';
}

function titleFrom(messages: RunRequest['messages']): string {
  const first = messages.find((m) => m.role === 'user')?.content ?? 'Conversation';
  const oneLine = first.replace(/\s+/g, ' ').trim();
  return oneLine.length > TITLE_MAX ? `${oneLine.slice(0, TITLE_MAX - 1)}…` : oneLine;
}
