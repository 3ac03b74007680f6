import { Injectable } from '@nestjs/common';
import type { AcceptedRun } from '../../chat/runs/run-pipeline.js';
import { RunPipeline } from '../../chat/runs/run-pipeline.js';
import { RunsService } from '../../chat/runs/runs.service.js';
import { RunControl } from '../../runs/run-control.js';
import type { FinishedRunStatus } from '../../runs/run-stream-event.js';
import type { AgentRunInputDto } from '../dto/agent-run-input.dto.js';
import type { TaskError } from '../entities/task.entity.js';
import { TaskStopped, type AttemptOutcome, type TaskAttempt, type TaskHandler } from './task-handler.js';

/** How a run ended, as its event log tells it. */
interface RunEnd {
  runId: string;
  conversationId?: string;
  /** Undefined when the log ended without `run_finished` (the run and its conversation were deleted). */
  status?: FinishedRunStatus;
  text: string;
  error?: TaskError;
}

/**
 * `agent.run`: a background run of the chat pipeline (the same mechanism as `POST /api/chat` with
 * `background: true`), followed to its end; the task's result is the run's answer.
 *
 * Retries answer the same turn without storing it twice. The run an attempt starts is recorded on the task, and
 * its idempotency key (`task:<id>`) finds it even when the worker died before recording it. A later attempt
 * follows that run first: still running (its worker may be alive after all), it is followed to its end; ended
 * without an answer (`interrupted` when its worker died, `cancelled` by a shutdown, `failed` for an outage), the
 * turn is answered again by a new run with `retryOf`: no new message is stored, the partial answer is left out of
 * what the model sees (it stays in the history), and the retry is refused (the task fails CONVERSATION_CHANGED) if
 * anything was posted in the conversation after that run.
 */
@Injectable()
export class AgentRunHandler implements TaskHandler {
  readonly type = 'agent.run';

  constructor(
    private readonly pipeline: RunPipeline,
    private readonly runs: RunsService,
    private readonly control: RunControl,
  ) {}

  async run(attempt: TaskAttempt): Promise<AttemptOutcome> {
    const { task, signal } = attempt;
    const input = task.input as unknown as AgentRunInputDto;
    let runId = task.runId;
    let inherited = runId !== null;
    for (;;) {
      if (runId === null) {
        const started = await this.start(attempt, {
          messages: input.messages,
          conversationId: input.conversation_id,
          agent: input.agent,
          idempotencyKey: `task:${task.id}`,
          ifBusy: 'enqueue',
        });
        if (!started) return { status: 'cancelled' };
        ({ runId } = started);
        inherited = started.replayed;
      }
      const end = await this.follow(runId, signal);
      if (!inherited || signal.aborted || !endedWithoutAnswer(end) || !end.conversationId) {
        return outcomeOf(end, signal);
      }
      const again = await this.start(attempt, {
        messages: [],
        conversationId: end.conversationId,
        agent: input.agent,
        idempotencyKey: `task:${task.id}:${runId}`,
        ifBusy: 'reject',
        retryOf: runId,
      });
      if (!again) return { status: 'cancelled' };
      ({ runId } = again);
      inherited = again.replayed;
    }
  }

  /** Starts (or, for a key already used, finds) the attempt's run and records it; null when the task was cancelled. */
  private async start(
    attempt: TaskAttempt,
    request: Pick<
      Parameters<RunPipeline['start']>[0],
      'messages' | 'conversationId' | 'agent' | 'idempotencyKey' | 'ifBusy' | 'retryOf'
    >,
  ): Promise<AcceptedRun | null> {
    const run = await this.pipeline.start({
      ...request,
      userId: attempt.task.userId,
      background: true,
      onDisconnect: 'continue',
    });
    if ((await attempt.recordRun(run.runId)) && !attempt.signal.aborted) return run;
    if (!run.replayed) await this.control.stop(run.runId, 'cancelled');
    return null;
  }

  /** Follows the run from its first event to its end; a stop of the attempt stops the run (wherever it runs). */
  private async follow(runId: string, signal: AbortSignal): Promise<RunEnd> {
    const stop = () => {
      const why = signal.reason instanceof TaskStopped && signal.reason.why === 'shutdown' ? 'shutdown' : 'cancelled';
      void this.control.stop(runId, why).catch(() => undefined);
    };
    signal.addEventListener('abort', stop, { once: true });
    const end: RunEnd = { runId, text: '' };
    try {
      if (signal.aborted) stop();
      const follow = new AbortController();
      for await (const { event } of await this.runs.followAccepted(runId, follow.signal)) {
        if (event.type === 'run_started') end.conversationId = event.conversation_id;
        else if (event.type === 'text_delta') end.text += event.text;
        else if (event.type === 'error') end.error = { code: event.code, message: event.message };
        else if (event.type === 'run_finished') {
          end.status = event.status;
          break;
        }
      }
      return end;
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }
}

/** A run cut short by its worker's death, a shutdown or an outage: the turn is still to be answered. */
function endedWithoutAnswer(end: RunEnd): boolean {
  return (
    end.status === 'interrupted' ||
    end.status === 'cancelled' ||
    (end.status === 'failed' && end.error?.code === 'SERVICE_UNAVAILABLE')
  );
}

function outcomeOf(end: RunEnd, signal: AbortSignal): AttemptOutcome {
  const stopped = signal.reason instanceof TaskStopped ? signal.reason.why : undefined;
  const retry = (error: TaskError): AttemptOutcome => ({ status: 'retry', error });
  switch (end.status) {
    case 'completed':
      return {
        status: 'completed',
        result: {
          conversation_id: end.conversationId,
          run_id: end.runId,
          message: { role: 'assistant', content: end.text },
        },
      };
    case 'interrupted':
      return retry({ code: 'INTERRUPTED', message: 'The run stopped with the process driving it' });
    case 'cancelled':
      if (stopped === 'shutdown') return retry({ code: 'INTERRUPTED', message: 'The worker shut down during the run' });
      return { status: 'cancelled' };
    case 'failed': {
      const error = end.error ?? { code: 'INTERNAL_ERROR', message: 'The run failed' };
      return error.code === 'SERVICE_UNAVAILABLE' ? retry(error) : { status: 'failed', error };
    }
    case undefined:
      return { status: 'failed', error: { code: 'NOT_FOUND', message: 'The run was deleted with its conversation' } };
  }
}
