import { Logger } from '@nestjs/common';
import type { WebSocket } from 'ws';
import type { AuthUser } from '../auth/auth-user.js';
import type { ConversationFeed } from '../chat/conversation-feed.js';
import type { RunPipeline } from '../chat/runs/run-pipeline.js';
import type { RunsService } from '../chat/runs/runs.service.js';
import { AppError, ValidationFailedError } from '../common/errors/app.error.js';
import type { RunStartLimiter } from '../common/throttling/run-start-limiter.js';
import type { AppValidationPipe } from '../common/validation/app-validation.pipe.js';
import type { RunControl } from '../runs/run-control.js';
import type { LoggedRunEvent } from '../runs/run-stream-event.js';
import { CLIENT_FRAMES, type ClientFrameOf, type ClientFrameType } from './frames/client-frames.dto.js';

/** What a session needs from the application. */
export interface SessionServices {
  pipeline: RunPipeline;
  runs: RunsService;
  control: RunControl;
  conversations: ConversationFeed;
  limiter: RunStartLimiter;
  validation: AppValidationPipe;
}

/** A run this connection started: what closing the socket does to it. */
interface StartedRun {
  onDisconnect: 'cancel' | 'continue';
  finished: boolean;
}

/**
 * One WebSocket connection: its frames in, run events out. A connection can start and watch several runs and
 * conversations at once; each follow is keyed (`run:<id>`, `conversation:<id>`) so a second one replaces the first.
 * Frames are validated like HTTP bodies; a bad frame gets an `error` frame, never a disconnect. Closing the socket
 * stops the runs it started whose `on_disconnect` is `cancel`.
 */
export class WsSession {
  private static readonly logger = new Logger('WebSocket');
  private readonly started = new Map<string, StartedRun>();
  private readonly follows = new Map<string, AbortController>();
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly user: AuthUser,
    private readonly address: string | undefined,
    private readonly services: SessionServices,
  ) {}

  async receive(raw: string): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return this.refuse(
        undefined,
        new ValidationFailedError([{ field: '', message: 'a frame must be a JSON object' }]),
      );
    }
    const requestId = requestIdOf(parsed);
    const type = (parsed as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !(type in CLIENT_FRAMES)) {
      const known = Object.keys(CLIENT_FRAMES).join(', ');
      return this.refuse(
        requestId,
        new ValidationFailedError([{ field: 'type', message: `type must be one of: ${known}` }]),
      );
    }
    try {
      const frame = (await this.services.validation.transform(parsed, {
        type: 'body',
        metatype: CLIENT_FRAMES[type as ClientFrameType],
        data: '',
      })) as ClientFrameOf<ClientFrameType>;
      await this.handle(frame);
    } catch (err) {
      this.refuse(requestId, err);
    }
  }

  /** The socket closed: follows stop, and so do the runs it started with `on_disconnect: cancel`. */
  close(): void {
    this.closed = true;
    for (const follow of this.follows.values()) follow.abort();
    this.follows.clear();
    for (const [runId, run] of this.started) {
      if (!run.finished && run.onDisconnect === 'cancel') void this.services.control.stop(runId, 'client_disconnected');
    }
  }

  private async handle(frame: ClientFrameOf<ClientFrameType>): Promise<void> {
    switch (frame.type) {
      case 'chat':
        return this.chat(frame as ClientFrameOf<'chat'>);
      case 'cancel': {
        const { run_id: runId } = frame as ClientFrameOf<'cancel'>;
        await this.services.runs.cancel(this.user, runId);
        return;
      }
      case 'context': {
        const { run_id: runId, context } = frame as ClientFrameOf<'context'>;
        await this.services.runs.addContext(this.user, runId, context);
        return;
      }
      case 'subscribe': {
        const { conversation_id: id, after_run_id: afterRun } = frame as ClientFrameOf<'subscribe'>;
        const follow = this.replaceFollow(`conversation:${id}`);
        const events = await this.services.conversations.follow(
          this.user.id,
          id,
          afterRun ? { runId: afterRun } : undefined,
          follow.signal,
        );
        void this.forward(follow, events);
        return;
      }
      case 'unsubscribe': {
        const { conversation_id: id } = frame as ClientFrameOf<'unsubscribe'>;
        this.follows.get(`conversation:${id}`)?.abort();
        this.follows.delete(`conversation:${id}`);
        return;
      }
      case 'resume': {
        const { run_id: runId, after } = frame as ClientFrameOf<'resume'>;
        const follow = this.replaceFollow(`run:${runId}`);
        const events = await this.services.runs.events(this.user, runId, after, follow.signal);
        void this.forward(follow, asRunEvents(runId, events));
        return;
      }
      case 'ping':
        this.send({ type: 'pong' });
        return;
    }
  }

  private async chat(frame: ClientFrameOf<'chat'>): Promise<void> {
    await this.services.limiter.consume(this.user.id);
    const run = await this.services.pipeline.start({
      userId: this.user.id,
      address: this.address,
      messages: frame.messages,
      conversationId: frame.conversation_id,
      agent: frame.agent,
      model: frame.model,
      context: frame.context,
      background: frame.background,
      onDisconnect: frame.on_disconnect,
      ifBusy: frame.if_busy,
    });
    const started: StartedRun = { onDisconnect: run.onDisconnect, finished: false };
    this.started.set(run.runId, started);
    this.send({ type: 'ack', request_id: frame.request_id, conversation_id: run.conversationId, run_id: run.runId });
    if (this.closed) return this.close();
    if (frame.background) return;
    const follow = this.replaceFollow(`run:${run.runId}`);
    const events = await this.services.runs.followAccepted(run.runId, follow.signal);
    await this.forward(follow, asRunEvents(run.runId, events), () => (started.finished = true));
  }

  /** Sends every event of a follow as `{type, run_id, id, ...fields}`, until it ends or is aborted. */
  private async forward(
    follow: AbortController,
    events: AsyncIterable<{ runId: string; entry: LoggedRunEvent }>,
    onFinished?: () => void,
  ): Promise<void> {
    try {
      for await (const { runId, entry } of events) {
        if (follow.signal.aborted) return;
        this.send({ ...entry.event, run_id: runId, id: entry.id });
        if (entry.event.type === 'run_finished') onFinished?.();
      }
    } catch (err) {
      WsSession.logger.warn({ msg: 'a follow ended with an error', error: err instanceof Error ? err.message : err });
    }
  }

  private replaceFollow(key: string): AbortController {
    this.follows.get(key)?.abort();
    const follow = new AbortController();
    this.follows.set(key, follow);
    return follow;
  }

  private refuse(requestId: string | undefined, err: unknown): void {
    if (err instanceof AppError) {
      const message = err.errors?.length
        ? `${err.message}: ${err.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`
        : err.message;
      this.send({ type: 'error', ...(requestId ? { request_id: requestId } : {}), code: err.code, message });
      return;
    }
    WsSession.logger.error({ msg: 'frame failed', error: err instanceof Error ? err.stack : String(err) });
    this.send({
      type: 'error',
      ...(requestId ? { request_id: requestId } : {}),
      code: 'INTERNAL_ERROR',
      message: 'Internal server error',
    });
  }

  private send(frame: Record<string, unknown>): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(frame));
  }
}

function requestIdOf(frame: unknown): string | undefined {
  const id = (frame as { request_id?: unknown } | null)?.request_id;
  return typeof id === 'string' && /^[\x21-\x7e]{1,200}$/.test(id) ? id : undefined;
}

async function* asRunEvents(runId: string, events: AsyncIterable<LoggedRunEvent>) {
  for await (const entry of events) yield { runId, entry };
}
