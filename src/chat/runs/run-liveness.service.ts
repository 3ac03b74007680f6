import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Instance } from '../../cluster/instance.js';
import { AppConfig } from '../../config/app-config.js';
import { RunEventLog } from '../../runs/event-log/run-event-log.js';
import { RunControl } from '../../runs/run-control.js';
import { RunSlots } from '../../runs/slots/run-slots.js';
import { RunsRepository, type SweptRun } from './runs.repository.js';

/** Heartbeats an instance may miss before others take its runs for dead. */
const MISSED_HEARTBEATS = 3;

/**
 * Keeps this instance's runs alive and ends the runs of instances that died. Every RUN_HEARTBEAT_MS it renews the
 * heartbeat of the runs it drives (and their slots' leases), stops any of them whose state another instance decided
 * meanwhile, and marks runs whose heartbeat went stale `interrupted`, ending their event logs so followers finish.
 * Several instances sweeping at once is safe: each run is swept by one conditional UPDATE. Booting never touches
 * another live instance's runs; only embedded PGlite, which one process owns, sweeps every run left active at boot.
 */
@Injectable()
export class RunLiveness implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RunLiveness.name);
  private timer?: NodeJS.Timeout;
  private tick: Promise<void> = Promise.resolve();

  constructor(
    private readonly runs: RunsRepository,
    private readonly control: RunControl,
    private readonly log: RunEventLog,
    private readonly slots: RunSlots,
    private readonly instance: Instance,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.database.kind === 'pglite') {
      const swept = await this.runs.sweepStale(0);
      if (swept.length) {
        this.logger.warn({ msg: 'marked runs left running by a previous process as interrupted', runs: swept.length });
      }
    }
    this.timer = setInterval(() => {
      this.tick = this.tick.then(() => this.beat());
    }, this.config.runs.heartbeatMs).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.tick;
  }

  /** One heartbeat: renew ours, stop what others decided, sweep the dead. Failures are logged, never thrown. */
  async beat(): Promise<void> {
    try {
      // Ours as of before the statement: each was registered after its commit, so the statement sees its row, and
      // one it does not return was really decided elsewhere. A run registered while the statement ran is not in the
      // answer yet, and must not be taken for superseded (a thousand runs starting at once lost one that way).
      const mine = this.control.localRunIds;
      const alive = new Set(await this.runs.heartbeat(this.instance.id));
      for (const runId of mine) {
        if (!alive.has(runId)) void this.control.stop(runId, 'superseded', 0);
      }
      await this.slots.renew(mine.filter((id) => alive.has(id)));
      const swept = await this.runs.sweepStale(this.config.runs.heartbeatMs * MISSED_HEARTBEATS);
      if (swept.length) await this.ended(swept);
    } catch (err) {
      this.logger.warn({ msg: 'run heartbeat failed', error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async ended(swept: SweptRun[]): Promise<void> {
    this.logger.warn({ msg: 'marked runs of a stopped instance as interrupted', runs: swept.length });
    for (const run of swept) {
      await this.log.endOrphan(run.id, [
        { type: 'error', code: 'INTERRUPTED', message: 'The server stopped during this run', recoverable: true },
        { type: 'run_finished', status: 'interrupted', stop_reason: 'interrupted' },
      ]);
      await this.control.ended(run.id, run.conversation_id);
    }
  }
}
