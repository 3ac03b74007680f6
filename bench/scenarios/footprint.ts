import { info, type Row } from '../report.js';
import { sleep } from '../stats.js';
import type { Scenario } from './scenario.js';

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

/**
 * The embedded default's footprint: a fresh app on PGlite, booted and left idle, beside the same app on PostgreSQL
 * (a fresh database), one after the other so neither boots under the other's load. RSS as `ps` shows it, with no
 * GC asked for: what an operator sees of an idle `npm start`.
 */
export const footprintScenario: Scenario = {
  name: 'footprint',
  async run(ctx) {
    const idleS = ctx.options.sizes.footprintIdleS;
    const rows: Row[] = [];
    for (const store of ['pglite', 'postgres'] as const) {
      const label = `idle RSS, app on ${store === 'pglite' ? 'embedded PGlite' : 'PostgreSQL'} (boot + ${idleS} s idle)`;
      let extra;
      try {
        extra = await ctx.startExtraApp({}, store);
      } catch (err) {
        rows.push(info(label, `not measured: ${String(err).slice(0, 120)}`));
        continue;
      }
      try {
        await sleep(idleS * 1000);
        rows.push(info(label, mb(extra.app.rssKb())));
      } finally {
        await extra.stop();
      }
    }
    return rows;
  },
};
