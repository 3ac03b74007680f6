import { auth, createUsers, postAs } from '../api-client.js';
import type { AppProcess } from '../app-process.js';
import { info, type Row } from '../report.js';
import { sleep } from '../stats.js';
import { settle, type Scenario } from './scenario.js';

/** Tasks a user gets: one page of `GET /api/tasks` (at most 100) shows all of them. */
const TASKS_PER_USER = 100;
const SUBMITTERS = 8;
const TIMEOUT_MS = 120_000;

interface Task {
  status: string;
  created_at: string;
  finished_at: string | null;
}

/**
 * `count` small `document.ingest` tasks (a few hundred bytes of text each, unique so none is a duplicate) submitted
 * by 8 clients at once, then waited for. Tasks per second: tasks over the time from the first one's `created_at` to
 * the last one's `finished_at` (the server's clock, so the polling interval is not in it).
 */
async function throughput(app: AppProcess, count: number, label: string): Promise<Row> {
  const users = await createUsers(app.url, `tasks-${label.replace(/\W+/g, '-')}`, Math.ceil(count / TASKS_PER_USER));
  let next = 0;
  const submit = async () => {
    for (let i = next++; i < count; i = next++) {
      const user = users[i % users.length];
      const content = `Task ${i} of the ${label} batch. The quarterly report lists item ${i * 7919} for review.`;
      await postAs(
        user,
        `${app.url}/api/tasks`,
        { type: 'document.ingest', input: { title: `task ${i}`, content } },
        202,
      );
    }
  };
  await Promise.all(Array.from({ length: SUBMITTERS }, submit));
  const deadline = Date.now() + TIMEOUT_MS;
  let tasks: Task[];
  for (;;) {
    const pages = await Promise.all(
      users.map(async (u) =>
        (await fetch(`${app.url}/api/tasks?limit=${TASKS_PER_USER}`, { headers: auth(u) })).json(),
      ),
    );
    tasks = (pages as Task[][]).flat();
    if (tasks.every((t) => t.finished_at) || Date.now() > deadline) break;
    await sleep(100);
  }
  const done = tasks.filter((t) => t.status === 'completed');
  if (!done.length) throw new Error(`no ${label} task completed (statuses: ${tasks.map((t) => t.status).join(',')})`);
  const from = Math.min(...tasks.map((t) => Date.parse(t.created_at)));
  const to = Math.max(...done.map((t) => Date.parse(t.finished_at!)));
  const failed = tasks.length - done.length;
  return info(
    `tasks per second through the queue, ${label} (${count} document.ingest, TASK_CONCURRENCY default)`,
    `${((done.length * 1000) / (to - from)).toFixed(0)} tasks/s${failed ? `; ${failed} not completed` : ''}`,
  );
}

/** Tasks through the in-process queue (the run's app) and through BullMQ (a second app with REDIS_URL). */
export const tasksScenario: Scenario = {
  name: 'tasks',
  async run(ctx) {
    const { count } = ctx.options.sizes.tasks;
    const rows = [await throughput(ctx.app, count, 'in process')];
    await settle(ctx);
    rows.push(await throughput(await ctx.appWithRedis(), count, 'BullMQ on Redis'));
    return rows;
  },
};
