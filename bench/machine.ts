import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

/** One line about the machine, for the header of every table (figures mean little without it). */
export function describeMachine(): string {
  const cores = cpus();
  const model = cores[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  return `${cores.length} cores (${model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}, Node ${process.version}`;
}

const CLOCK_TICKS_PER_S = 100;

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesized command name start at field 3; utime and stime are fields 14 and 15, in ticks.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/** The `cpu` line of /proc/stat: all cores' time since boot in each state, in ticks. */
function cpuTicks(): number[] {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return ticks;
}

/** CPU time all cores spent busy since boot, in ms (everything but idle and iowait). */
function machineBusyMs(): number {
  const [user, nice, system, , , irq, softirq, steal] = cpuTicks();
  return ((user + nice + system + irq + softirq + steal) * 1000) / CLOCK_TICKS_PER_S;
}

/** Time all cores spent idle since boot, in ms (idle and iowait; in 10 ms ticks). */
export function machineIdleMs(): number {
  const [, , , idle, iowait] = cpuTicks();
  return ((idle + iowait) * 1000) / CLOCK_TICKS_PER_S;
}

/**
 * How busy the machine was with work that is not the bench's: the cores are shared (other test suites, builds), and
 * a figure measured while something else ran is not the service's alone. `ours` returns the CPU ms used so far by
 * the bench and the processes it started.
 */
export class MachineLoad {
  private readonly startBusy = machineBusyMs();
  private readonly startOurs: number;
  private readonly startLoad = loadavg()[0];
  private readonly started = performance.now();

  constructor(private readonly ours: () => number) {
    this.startOurs = ours();
  }

  /** e.g. "load average 0.4 -> 1.9; other processes (PostgreSQL included) used 12% of the cores". */
  describe(): string {
    const elapsed = performance.now() - this.started;
    const others = machineBusyMs() - this.startBusy - (this.ours() - this.startOurs);
    const share = (100 * Math.max(0, others)) / (elapsed * cpus().length);
    return `load average ${this.startLoad.toFixed(1)} -> ${loadavg()[0].toFixed(1)}; processes outside the bench (PostgreSQL included) used ${share.toFixed(0)}% of the cores during the run`;
  }
}
