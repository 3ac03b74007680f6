import { createUsers, uploadText } from '../api-client.js';
import { Corpus } from '../corpus.js';
import { describeLoad, httpLoad, pacedGetInChild, type HttpLoad } from '../http-load.js';
import { check, info, type Row } from '../report.js';
import { p50p99 } from '../stats.js';
import { settle, type Scenario } from './scenario.js';

const LIST_DOCUMENTS = 25;
const LIST_P99_MS = 10;
const PACED_WARMUP_S = 2;

const mean = (loads: HttpLoad[]) => loads.reduce((sum, l) => sum + l.rps, 0) / loads.length;

/**
 * REST throughput and latency. The app's `GET /health` against a bare Express app answering the same JSON,
 * alternating rounds so machine drift lands on both; then an authenticated, indexed read (`GET /api/documents`,
 * spread over several users as real traffic is) at its maximum rate, and evenly paced at half of it.
 */
export const restScenario: Scenario = {
  name: 'rest',
  async run(ctx) {
    const { durationS, rounds, connections, warmupS, halfRateS, listUsers } = ctx.options.sizes.rest;
    const appHealth = `${ctx.app.url}/health`;
    const bareHealth = `${ctx.baseline.url}/health`;
    if (warmupS) for (const url of [appHealth, bareHealth]) await httpLoad({ url, connections, durationS: warmupS });
    const app: HttpLoad[] = [];
    const bare: HttpLoad[] = [];
    for (let round = 0; round < rounds; round++) {
      app.push(await httpLoad({ url: appHealth, connections, durationS }));
      bare.push(await httpLoad({ url: bareHealth, connections, durationS }));
    }
    const ratio = mean(app) / mean(bare);
    const rows: Row[] = [
      info(`GET /health, app (${connections} connections, ${rounds}x${durationS} s)`, describeLoad(app.at(-1)!)),
      info('GET /health, bare Express', describeLoad(bare.at(-1)!)),
      check('GET /health throughput, app / bare Express', '>= 0.80x', `${ratio.toFixed(2)}x`, ratio >= 0.8),
    ];

    const users = await createUsers(ctx.app.url, 'rest', listUsers);
    const corpus = new Corpus(7);
    const texts = Array.from({ length: LIST_DOCUMENTS }, () => corpus.text(2_000));
    await Promise.all(
      users.map(async (user) => {
        for (const [i, text] of texts.entries()) await uploadText(ctx.app.url, user, `List ${i}`, text);
      }),
    );
    const list = {
      url: `${ctx.app.url}/api/documents`,
      headers: users.map((u) => ({ authorization: `Bearer ${u.token}` })),
      connections,
    };
    if (warmupS) await httpLoad({ ...list, durationS: warmupS });
    const max = await httpLoad({ ...list, durationS });
    const halfRate = max.rps / 2;
    await settle(ctx);
    const paced = await pacedGetInChild(list.url, list.headers, halfRate, halfRateS, PACED_WARMUP_S);
    rows.push(
      info(`GET /api/documents (20 of ${LIST_DOCUMENTS} rows, ${listUsers} users) at max rate`, describeLoad(max)),
      check(
        `GET /api/documents p99 at half max (${Math.round(halfRate)} req/s, evenly paced)`,
        `<= ${LIST_P99_MS} ms`,
        `${p50p99(paced)}${paced.failures ? `, ${paced.failures} failed` : ''}`,
        paced.p99 <= LIST_P99_MS && paced.failures === 0,
      ),
    );
    if ([...app, ...bare, max].some((l) => l.failures)) ctx.note('rest: some requests failed under load');
    return rows;
  },
};
