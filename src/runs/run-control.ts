import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterEvents, clusterChannel } from '../cluster/cluster-events.js';
import { RunEventLog } from './event-log/run-event-log.js';

/** Why a run was stopped before it finished on its own. */
export type StopReason =
  | 'cancelled'
  | 'client_disconnected'
  | 'interrupted'
  | 'shutdown'
  | 'storage_unavailable'
  | 'superseded'
  | 'not_started';

/** The abort reason a stopped run's signal carries. */
export class RunStopped extends Error {
  constructor(readonly why: StopReason) {
    super(why);
    this.name = 'RunStopped';
  }
}

/** A run this instance drives. */
export interface DrivenRun {
  runId: string;
  conversationId: string;
  stop(why: StopReason): void;
  /** More client context for the run, given to the model at its next turn. */
  addContext(context: Record<string, unknown>): void;
  /** Settles once the run's final state is saved and its log closed. */
  finished: Promise<void>;
}

const STOP = clusterChannel<{ runId: string; why: StopReason }>('runs.stop');
const ENDED = clusterChannel<{ runId: string; conversationId: string }>('runs.ended');
const CONTEXT = clusterChannel<{ runId: string; context: Record<string, unknown> }>('runs.context');

/** How long shutdown waits for stopped runs to save their final state. */
const SHUTDOWN_SAVE_MS = 5000;

/**
 * The runs this instance drives, and the way to reach a run wherever it is driven: a stop asked on any instance
 * reaches the one driving the run (directly here, through ClusterEvents elsewhere), and every instance hears when a
 * run ends (what a queued run waits for).
 */
@Injectable()
export class RunControl implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(RunControl.name);
  private readonly local = new Map<string, DrivenRun>();
  private readonly endListeners = new Set<(ended: { runId: string; conversationId: string }) => void>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly events: ClusterEvents,
    private readonly log: RunEventLog,
  ) {}

  onModuleInit(): void {
    this.unsubscribe.push(
      this.events.subscribe(STOP, ({ runId, why }) => this.local.get(runId)?.stop(why)),
      this.events.subscribe(CONTEXT, ({ runId, context }) => this.local.get(runId)?.addContext(context)),
      this.events.subscribe(ENDED, (ended) => {
        for (const listener of this.endListeners) listener(ended);
      }),
    );
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** Registers a run driven here until it finishes. */
  register(run: DrivenRun): void {
    this.local.set(run.runId, run);
    void run.finished.finally(() => {
      if (this.local.get(run.runId) === run) this.local.delete(run.runId);
    });
  }

  get localRunIds(): string[] {
    return [...this.local.keys()];
  }

  get size(): number {
    return this.local.size;
  }

  /**
   * Stops a run wherever it is driven. Resolves true once it has finished (its final state saved), false when it did
   * not within `waitMs` (its instance may be gone: the liveness sweep will end it).
   */
  async stop(runId: string, why: StopReason, waitMs = 2000): Promise<boolean> {
    const local = this.local.get(runId);
    if (local) {
      local.stop(why);
      return Promise.race([local.finished.then(() => true), sleep(waitMs, false, { ref: false })]);
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), waitMs).unref();
    try {
      const from = await this.log.lastId(runId);
      const events = await this.log.follow(runId, from ?? 0, controller.signal);
      await this.events.publish(STOP, { runId, why });
      if (!events) return false;
      for await (const { event } of events) if (event.type === 'run_finished') return true;
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Hands more client context to a run wherever it is driven (it reaches the model at the run's next turn). */
  async addContext(runId: string, context: Record<string, unknown>): Promise<void> {
    const local = this.local.get(runId);
    if (local) local.addContext(context);
    else await this.events.publish(CONTEXT, { runId, context });
  }

  /** Tells every instance that a run ended (queued runs of its conversation may start). */
  async ended(runId: string, conversationId: string): Promise<void> {
    await this.events.publish(ENDED, { runId, conversationId });
  }

  /** Calls `listener` whenever any instance reports a run ended; returns the unsubscribe function. */
  onEnded(listener: (ended: { runId: string; conversationId: string }) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /** Stops every run driven here and waits (a bounded time) for them to save their state. */
  async stopAll(why: StopReason, waitMs = SHUTDOWN_SAVE_MS): Promise<void> {
    const all = [...this.local.values()];
    if (all.length) this.logger.warn({ msg: 'stopping the runs this instance drives', runs: all.length, why });
    for (const run of all) run.stop(why);
    await Promise.race([Promise.allSettled(all.map((r) => r.finished)), sleep(waitMs, undefined, { ref: false })]);
  }

  /** On app.close(), runs still going are stopped (and save their state) before the database closes. */
  beforeApplicationShutdown(): Promise<void> {
    return this.stopAll('shutdown');
  }
}
