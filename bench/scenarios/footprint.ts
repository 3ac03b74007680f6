import type { AppProcess } from '../app-process.js';
import { info } from '../report.js';
import { sleep } from '../stats.js';
import type { Scenario } from './scenario.js';

const STORES = { pglite: 'embedded PGlite', postgres: 'PostgreSQL' } as const;

/**
 * The embedded default's footprint: the app's RSS after boot and a quiet spell, on PGlite beside PostgreSQL. This
 * runs first, so the run's app has served nothing yet: it is measured as booted, and a fresh app on the other store
 * beside it, one after the other so neither boots under the other's load. No GC is asked for: this is what `ps`
 * shows of an idle `npm start`.
 */
export const footprintScenario: Scenario = {
  name: 'footprint',
  async run(ctx) {
    const idleMs = ctx.options.sizes.footprintIdleS * 1000;
    const label = (store: keyof typeof STORES) => `idle RSS, app on ${STORES[store]} (boot + ${idleMs / 1000} s idle)`;
    const measure = async (app: AppProcess) => {
      await sleep(idleMs);
      return `${(app.rssKb() / 1024).toFixed(0)} MB`;
    };
    const other = ctx.database === 'pglite' ? 'postgres' : 'pglite';
    const rows = [info(label(ctx.database), await measure(ctx.app))];
    try {
      const extra = await ctx.startExtraApp({}, other);
      try {
        rows.push(info(label(other), await measure(extra.app)));
      } finally {
        await extra.stop();
      }
    } catch (err) {
      rows.push(info(label(other), `not measured: ${String(err).slice(0, 120)}`));
    }
    return ctx.database === 'pglite' ? rows : rows.reverse();
  },
};
