import { Injectable } from '@nestjs/common';
import { RunEventLog } from '../../runs/event-log/run-event-log.js';
import type { LoggedRunEvent } from '../../runs/run-stream-event.js';
import { RunEventsExpired } from '../../runs/runs.errors.js';
import { ChatRepository } from '../chat.repository.js';
import type { RunEntity } from '../entities/run.entity.js';
import { storedRunEvents } from './run-stream-events.js';
import { RunsRepository } from './runs.repository.js';

/**
 * A run's events as every client reads them (the requester's SSE or JSON answer, a resume, a watcher): from its
 * event log, with their original ids, live until `run_finished`. Once the log is gone (expired, or lost with the
 * process that kept it in memory), a replay from the start is rebuilt from the stored answer, and a resume from an
 * id is 410. Callers have checked that the reader may see the run.
 */
@Injectable()
export class RunFeed {
  constructor(
    private readonly log: RunEventLog,
    private readonly runs: RunsRepository,
    private readonly chat: ChatRepository,
  ) {}

  async follow(run: Pick<RunEntity, 'id'>, after: number, signal: AbortSignal): Promise<AsyncIterable<LoggedRunEvent>> {
    const live = await this.log.follow(run.id, after, signal);
    if (live) return live;
    if (after > 0) throw new RunEventsExpired();
    const stored = await this.runs.findRunById(run.id);
    if (!stored) return toLogged([]);
    const [message, toolCalls] = await Promise.all([
      this.chat.findRunMessage(stored.id),
      this.runs.listToolCalls([stored.id]),
    ]);
    return toLogged(storedRunEvents(stored, message, toolCalls));
  }
}

async function* toLogged(events: ReturnType<typeof storedRunEvents>): AsyncGenerator<LoggedRunEvent> {
  let id = 0;
  for (const event of events) yield { id: ++id, event };
}
