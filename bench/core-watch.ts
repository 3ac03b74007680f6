import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { machineIdleMs } from './machine.js';

/**
 * What the cores did while a paced load ran, read every 10 ms, so a stretch of slow answers can be set against it:
 * was the server's thread on a core, runnable but waiting for one, or idle; and were the cores idle. Traced thread
 * by thread (BENCHMARKS.md, What limits each figure), the documents list's stretches of slow answers began with the
 * server's thread waiting for a core and lasted as long as its spare time took to drain the queue, so a p99 is
 * printed with these figures beside it rather than as a bare number.
 */
export interface CoreReading {
  /** Wall-clock ms (performance.timeOrigin-based, the clock the paced client stamps its sends with). */
  at: number;
  /** The watched thread's time on a core and runnable but waiting for one, ms so far (/proc/<pid>/schedstat). */
  ranMs: number;
  waitedMs: number;
  /** All cores' idle time so far, ms (cpuidle's µs counters where the kernel has them, else /proc/stat ticks). */
  idleMs: number;
}

export interface CoresDuring {
  ms: number;
  /** Shares of the window: the watched thread on a core, runnable but waiting for one. */
  ran: number;
  waited: number;
  /** Share of all cores' time that was idle. */
  idle: number;
}

/** The watched thread's counters from /proc/<pid>/schedstat: "<ns on a core> <ns runnable, waiting> <slices>". */
export function parseSchedstat(text: string): { ranMs: number; waitedMs: number } {
  const [ran, waited] = text.trim().split(/\s+/).map(Number);
  return { ranMs: ran / 1e6, waitedMs: waited / 1e6 };
}

/** Every cpuidle state's residency counter (µs), or none where the kernel has no cpuidle driver. */
function cpuidleFiles(): string[] {
  const files: string[] = [];
  try {
    for (const cpu of readdirSync('/sys/devices/system/cpu').filter((d) => /^cpu\d+$/.test(d))) {
      const dir = `/sys/devices/system/cpu/${cpu}/cpuidle`;
      for (const state of readdirSync(dir).filter((d) => /^state\d+$/.test(d))) files.push(`${dir}/${state}/time`);
    }
  } catch {
    return [];
  }
  return files;
}

const INTERVAL_MS = 10;

/** Reads the counters every 10 ms from construction to `stop()`: one small read a tick, and one per idle state. */
export class CoreWatch {
  private readonly readings: CoreReading[] = [];
  private readonly idleFiles = cpuidleFiles();
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly pid: number) {
    this.read();
    this.timer = setInterval(() => this.read(), INTERVAL_MS);
  }

  /** Stops reading (after one last reading, the first time) and returns every reading taken. */
  stop(): readonly CoreReading[] {
    if (!this.stopped) {
      this.read();
      this.stopped = true;
      clearInterval(this.timer);
    }
    return this.readings;
  }

  private read(): void {
    try {
      const idleMs = this.idleFiles.length
        ? this.idleFiles.reduce((sum, f) => sum + Number(readFileSync(f, 'utf8')), 0) / 1000
        : machineIdleMs();
      this.readings.push({
        at: performance.timeOrigin + performance.now(),
        ...parseSchedstat(readFileSync(`/proc/${this.pid}/schedstat`, 'utf8')),
        idleMs,
      });
    } catch {
      // Not Linux, or the process is gone: the row then says the cores were not watched.
      clearInterval(this.timer);
    }
  }
}

/**
 * The counters' change over [from, to] (wall-clock ms), from the last reading at or before `from` to the first at or
 * after `to`, so the window read is never shorter than the one asked for. Undefined when the readings do not cover it.
 */
export function coresDuring(
  readings: readonly CoreReading[],
  from: number,
  to: number,
  cores = cpus().length,
): CoresDuring | undefined {
  const start = readings.findLast((r) => r.at <= from);
  const end = readings.find((r) => r.at >= to);
  if (!start || !end || end.at <= start.at) return undefined;
  const ms = end.at - start.at;
  return {
    ms,
    ran: (end.ranMs - start.ranMs) / ms,
    waited: (end.waitedMs - start.waitedMs) / ms,
    idle: Math.min(1, (end.idleMs - start.idleMs) / (ms * cores)),
  };
}

const pct = (share: number) => `${Math.round(share * 100)}%`;

/** e.g. "the app's thread ran 75% and waited for a core 20% of 264 ms, the cores idle 19%". */
export function describeCores(c: CoresDuring | undefined, who: string): string {
  if (!c) return 'the cores were not watched';
  return `${who}'s thread ran ${pct(c.ran)} and waited for a core ${pct(c.waited)} of ${c.ms.toFixed(0)} ms, the cores idle ${pct(c.idle)}`;
}
