import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../auth/auth-user.js';
import { RunEventLog } from '../../runs/event-log/run-event-log.js';
import { RunControl } from '../../runs/run-control.js';
import type { LoggedRunEvent } from '../../runs/run-stream-event.js';
import { RunNotActive, RunNotFound } from '../../runs/runs.errors.js';
import { assertAllowed, type ConversationNeed } from '../conversation-access.js';
import type { RunDto } from '../dto/chat-responses.dto.js';
import { toRunDto } from '../dto/chat.mappers.js';
import type { RunEntity } from '../entities/run.entity.js';
import { RunFeed } from './run-feed.js';
import { RunsRepository } from './runs.repository.js';

const isActive = (run: RunEntity) => run.status === 'queued' || run.status === 'running' || run.status === 'waiting';

/** `/api/runs/{id}`: a run's record, its events (replayed and live, on any instance), its cancel. */
@Injectable()
export class RunsService {
  constructor(
    private readonly runs: RunsRepository,
    private readonly log: RunEventLog,
    private readonly feed: RunFeed,
    private readonly control: RunControl,
  ) {}

  async get(user: AuthUser, runId: string): Promise<RunDto> {
    const run = await this.visible(user, runId);
    const lastEventId = isActive(run) ? ((await this.log.lastId(run.id)) ?? run.lastEventId) : run.lastEventId;
    return toRunDto(run, lastEventId);
  }

  async events(
    user: AuthUser,
    runId: string,
    after: number,
    signal: AbortSignal,
  ): Promise<AsyncIterable<LoggedRunEvent>> {
    return this.feed.follow(await this.visible(user, runId), after, signal);
  }

  /** The events of a run the caller has just started (no access check: it is theirs). */
  followAccepted(runId: string, signal: AbortSignal): Promise<AsyncIterable<LoggedRunEvent>> {
    return this.feed.follow({ id: runId }, 0, signal);
  }

  /** More client context for an active run, for the model's next turn (owner and participants). */
  async addContext(user: AuthUser, runId: string, context: Record<string, unknown>): Promise<void> {
    const run = await this.visible(user, runId, 'write');
    if (!isActive(run)) throw new RunNotActive();
    await this.control.addContext(run.id, context);
  }

  async cancel(user: AuthUser, runId: string): Promise<{ cancelled: boolean }> {
    const run = await this.visible(user, runId, 'write');
    if (!isActive(run)) return { cancelled: false };
    await this.control.stop(run.id, 'cancelled');
    return { cancelled: true };
  }

  /** A run of a conversation the user may see (and, for `write`, post in); a stranger's run is 404. */
  private async visible(user: AuthUser, runId: string, need: ConversationNeed = 'read'): Promise<RunEntity> {
    const found = await this.runs.findVisibleRun(runId, user.id);
    if (!found) throw new RunNotFound();
    assertAllowed(found.role, need);
    return found.run;
  }
}
