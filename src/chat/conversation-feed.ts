import { Injectable, Logger } from '@nestjs/common';
import { ClusterEvents } from '../cluster/cluster-events.js';
import type { LoggedRunEvent } from '../runs/run-stream-event.js';
import { ConversationAccess } from './conversation-access.js';
import { ACCESS_REVOKED, CONVERSATION_DELETED, RUN_STORED } from './conversation-events.js';
import { RunFeed } from './runs/run-feed.js';
import { RunsRepository } from './runs/runs.repository.js';

/** An event of one of a conversation's runs. */
export interface ConversationEvent {
  runId: string;
  entry: LoggedRunEvent;
}

/** Where a watcher left off: a run and the last event of it they saw (none: the whole run was seen). */
export interface ConversationPosition {
  runId: string;
  eventId?: number;
}

/**
 * Every run of a conversation as one live feed, for its owner and members: the runs active now from their first
 * event (or, resuming, the run left off after its event and every run stored after it), then each run stored from
 * then on, on any instance. Events of one run stay in order; runs interleave as they happen. The feed ends when
 * the conversation is deleted or the watcher loses access.
 */
@Injectable()
export class ConversationFeed {
  constructor(
    private readonly access: ConversationAccess,
    private readonly runs: RunsRepository,
    private readonly feed: RunFeed,
    private readonly events: ClusterEvents,
  ) {}

  async follow(
    userId: string,
    conversationId: string,
    after: ConversationPosition | undefined,
    signal: AbortSignal,
  ): Promise<AsyncIterable<ConversationEvent>> {
    await this.access.require(userId, conversationId, 'read');
    const merged = new MergedRuns(signal, (runId, from, s) => this.feed.follow({ id: runId }, from, s));
    // Subscribed before the runs are listed: a run stored in between is heard of twice, and followed once.
    merged.onEnd(
      this.events.subscribe(RUN_STORED, (stored) => {
        if (stored.conversationId === conversationId) merged.add(stored.runId, 0);
      }),
      this.events.subscribe(ACCESS_REVOKED, (revoked) => {
        if (revoked.conversationId === conversationId && revoked.userId === userId) merged.end();
      }),
      this.events.subscribe(CONVERSATION_DELETED, (deleted) => {
        if (deleted.conversationId === conversationId) merged.end();
      }),
    );
    try {
      if (after) {
        if (after.eventId !== undefined) merged.add(after.runId, after.eventId);
        for (const runId of await this.runs.runsStoredAfter(conversationId, after.runId)) merged.add(runId, 0);
      } else {
        for (const run of await this.runs.activeRuns(conversationId)) merged.add(run.id, 0);
      }
    } catch (err) {
      merged.end();
      throw err;
    }
    return merged;
  }
}

type Source = (runId: string, after: number, signal: AbortSignal) => Promise<AsyncIterable<LoggedRunEvent>>;

/** Several runs' event feeds merged into one, in arrival order, each run followed once. */
class MergedRuns implements AsyncIterable<ConversationEvent> {
  private static readonly logger = new Logger('ConversationFeed');
  private readonly queue: ConversationEvent[] = [];
  private readonly followed = new Set<string>();
  private readonly stop = new AbortController();
  private readonly cleanups: Array<() => void> = [];
  private wake?: () => void;
  private ended = false;

  constructor(
    outer: AbortSignal,
    private readonly source: Source,
  ) {
    if (outer.aborted) this.end();
    else outer.addEventListener('abort', () => this.end(), { once: true });
  }

  onEnd(...cleanups: Array<() => void>): void {
    this.cleanups.push(...cleanups);
  }

  add(runId: string, after: number): void {
    if (this.ended || this.followed.has(runId)) return;
    this.followed.add(runId);
    void (async () => {
      try {
        for await (const entry of await this.source(runId, after, this.stop.signal)) this.push({ runId, entry });
      } catch (err) {
        // A run whose events are gone (expired) is skipped; the others go on.
        MergedRuns.logger.warn({
          msg: 'a run of the conversation could not be followed',
          run_id: runId,
          error: String(err),
        });
      }
    })();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.stop.abort();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ConversationEvent> {
    try {
      for (;;) {
        while (this.queue.length) yield this.queue.shift()!;
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      this.end();
    }
  }

  private push(event: ConversationEvent): void {
    if (this.ended) return;
    this.queue.push(event);
    this.wake?.();
  }
}
