import { CoreWatch, coresDuring, describeCores, parseSchedstat, type CoreReading } from './core-watch.js';
import { sleep } from './stats.js';

describe('CoreWatch', () => {
  it("parses a thread's schedstat: ns on a core, ns waiting for one", () => {
    expect(parseSchedstat('2429000000 73000000 1211\n')).toEqual({ ranMs: 2429, waitedMs: 73 });
  });

  describe('coresDuring', () => {
    // Readings 10 ms apart: the thread runs 6 ms of each 10 until 100 ms, then waits 5 and runs 5; 2 cores.
    const readings: CoreReading[] = Array.from({ length: 21 }, (_, i) => {
      const after = Math.max(0, i - 10);
      const before = i - after;
      return {
        at: 1000 + i * 10,
        ranMs: before * 6 + after * 5,
        waitedMs: after * 5,
        idleMs: before * 10 + after * 1,
      };
    });

    it('reads the change between the readings around the window, never a shorter one', () => {
      const c = coresDuring(readings, 1105, 1195, 2)!;
      expect(c.ms).toBe(100); // from the reading at 1100 to the one at 1200
      expect(c.ran).toBeCloseTo(0.5);
      expect(c.waited).toBeCloseTo(0.5);
      expect(c.idle).toBeCloseTo(10 / 200);
      expect(describeCores(c, 'the app')).toBe(
        "the app's thread ran 50% and waited for a core 50% of 100 ms, the cores idle 5%",
      );
    });

    it('says so when the readings do not cover the window', () => {
      expect(coresDuring(readings, 900, 1100, 2)).toBeUndefined();
      expect(coresDuring(readings, 1100, 1300, 2)).toBeUndefined();
      expect(describeCores(undefined, 'the app')).toBe('the cores were not watched');
    });
  });

  it("watches a real thread: this process's, while it spins and while it sleeps", async () => {
    const watch = new CoreWatch(process.pid);
    const spinFrom = performance.timeOrigin + performance.now();
    while (performance.timeOrigin + performance.now() < spinFrom + 80);
    const spinTo = performance.timeOrigin + performance.now();
    await sleep(100);
    const sleepFrom = performance.timeOrigin + performance.now();
    await sleep(100);
    const sleepTo = performance.timeOrigin + performance.now();
    const readings = watch.stop();
    const taken = readings.length;
    await sleep(30);
    expect(watch.stop()).toBe(readings);
    expect(readings.length).toBe(taken); // stopped: no timer reading, and a second stop() adds none
    expect(readings.length).toBeGreaterThan(2);
    // Spinning blocks this thread's 10 ms timer, so the spin is read as one interval; sleeping, the thread is idle.
    const spinning = coresDuring(readings, spinFrom, spinTo)!;
    const sleeping = coresDuring(readings, sleepFrom, sleepTo)!;
    expect(spinning.ran + spinning.waited).toBeGreaterThan(0.5);
    expect(sleeping.ran).toBeLessThan(0.3);
  });
});
