import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { TooManyActiveRuns } from '../chat.errors.js';

interface ActiveRun {
  runId: string;
  userId: string;
  controller: AbortController;
  finished: Promise<void>;
}

export class RunCancelled extends Error {
  constructor(readonly why: 'cancelled' | 'client_disconnected' | 'shutdown' | 'storage_unavailable' | 'not_started') {
    super(why);
  }
}

/**
 * The runs streaming in this process, by conversation, so cancel and shutdown can reach them. (One process owns
 * a run; a multi-instance deployment would route cancels to the owner, e.g. over Redis pub/sub.)
 */
@Injectable()
export class ActiveRuns implements BeforeApplicationShutdown {
  private readonly runs = new Map<string, ActiveRun>();
  private readonly perUser = new Map<string, number>();

  /**
   * Takes one of the user's concurrent-run slots (synchronously, so two requests cannot both see a free slot),
   * or throws 429. Returns the release function; call it exactly once when the run is over or failed to start.
   */
  reserve(userId: string, limit: number): () => void {
    const used = this.perUser.get(userId) ?? 0;
    if (used >= limit) throw new TooManyActiveRuns(limit);
    this.perUser.set(userId, used + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.perUser.get(userId) ?? 1) - 1;
      if (left <= 0) this.perUser.delete(userId);
      else this.perUser.set(userId, left);
    };
  }

  add(conversationId: string, run: ActiveRun): void {
    this.runs.set(conversationId, run);
    void run.finished.finally(() => {
      if (this.runs.get(conversationId) === run) this.runs.delete(conversationId);
    });
  }

  /** Aborts the conversation's run if the caller owns it; resolves once the run has saved its final state (<= waitMs). */
  async cancel(conversationId: string, userId: string, why: RunCancelled['why'], waitMs = 1000): Promise<boolean> {
    const run = this.runs.get(conversationId);
    if (!run || run.userId !== userId || run.controller.signal.aborted) return false;
    run.controller.abort(new RunCancelled(why));
    await Promise.race([run.finished, new Promise((r) => setTimeout(r, waitMs).unref())]);
    return true;
  }

  /** Aborts every run (shutdown) and waits for them to save their state. */
  async cancelAll(waitMs: number): Promise<void> {
    const all = [...this.runs.values()];
    for (const run of all) run.controller.abort(new RunCancelled('shutdown'));
    await Promise.race([
      Promise.allSettled(all.map((r) => r.finished)),
      new Promise((r) => setTimeout(r, waitMs).unref()),
    ]);
  }

  /** On app.close(), runs still streaming are cancelled (and save their state) before the database closes. */
  beforeApplicationShutdown(): Promise<void> {
    return this.cancelAll(5000);
  }

  get size(): number {
    return this.runs.size;
  }
}
