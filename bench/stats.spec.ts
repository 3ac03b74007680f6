import { percentile, slowStretches } from './stats.js';

describe('bench stats', () => {
  it('takes nearest-rank percentiles, so every value reported was observed', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(sorted, 50)).toBe(5);
    expect(percentile(sorted, 99)).toBe(10);
    expect(percentile([], 99)).toBeNaN();
  });

  describe('slowStretches', () => {
    // One request every 0.5 ms (2,000 a second), each answered in 1 ms unless set otherwise.
    const paced = (count: number, slow: Record<number, number>) => ({
      sentAt: Array.from({ length: count }, (_, i) => i * 0.5),
      latency: Array.from({ length: count }, (_, i) => slow[i] ?? 1),
    });

    it('finds no stretch when no answer is over the bound', () => {
      const { sentAt, latency } = paced(1000, { 10: 10 });
      expect(slowStretches(sentAt, latency, 10, 100)).toEqual({
        slow: 0,
        stretches: 0,
        largest: { slow: 0, fromMs: 0, spanMs: 0 },
      });
    });

    it('counts one pause as one stretch, from its first send to its last answer', () => {
      // A 30 ms pause at request 1000: the requests sent during it wait for its end.
      const slow: Record<number, number> = {};
      for (let i = 1000; i < 1060; i++) slow[i] = 30 - (i - 1000) * 0.5;
      const { sentAt, latency } = paced(4000, slow);
      const result = slowStretches(sentAt, latency, 10, 100);
      expect(result.slow).toBe(40); // latency 30 ms down to 10.5 ms; at 10 ms and below they are not over the bound
      expect(result.stretches).toBe(1);
      expect(result.largest.slow).toBe(40);
      expect(result.largest.fromMs).toBe(500);
      expect(result.largest.spanMs).toBeCloseTo(30, 5); // sent at 500 ms, the last answered at 530 ms
    });

    it('splits slow answers sent further apart than the join interval, and names the largest', () => {
      const slow: Record<number, number> = { 100: 12, 101: 12, 2000: 15, 2001: 14, 2002: 13, 3000: 11 };
      const { sentAt, latency } = paced(4000, slow);
      const result = slowStretches(sentAt, latency, 10, 100);
      expect(result).toEqual({ slow: 6, stretches: 3, largest: { slow: 3, fromMs: 1000, spanMs: 15 } }); // sent at 1,000 ms, answered by 1,015
    });

    it('skips failed requests (NaN latency)', () => {
      const { sentAt, latency } = paced(100, { 5: Number.NaN, 6: 20 });
      expect(slowStretches(sentAt, latency, 10, 100)).toEqual({
        slow: 1,
        stretches: 1,
        largest: { slow: 1, fromMs: 3, spanMs: 20 },
      });
    });
  });
});
