import { percentile, summarize } from './stats.js';

describe('bench stats', () => {
  it('takes nearest-rank percentiles, so every value reported was observed', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(sorted, 50)).toBe(5);
    expect(percentile(sorted, 99)).toBe(10);
    expect(percentile([], 99)).toBeNaN();
  });

  it('sorts numerically, not as strings', () => {
    expect(summarize([10, 9, 100, 2])).toMatchObject({ count: 4, p50: 9, max: 100 });
  });
});
