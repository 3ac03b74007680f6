import { createUsers } from '../api-client.js';
import { openStream } from '../sse-client.js';
import { appTarget, promptFor } from '../stream-targets.js';
import { info, type Row } from '../report.js';
import { p50p99, sleep, summarize } from '../stats.js';
import { settle, type Scenario } from './scenario.js';

/** The event id the client "last saw" before its connection dropped. */
const LEFT_AT = 5;
/** Time away: about 10 more deltas are in the run's log by the resume, so its first event is a replay, not live. */
const AWAY_MS = 200;
const TIMEOUT_MS = 30_000;

/**
 * Resume latency: a run is started with `on_disconnect: "continue"`, its stream dropped after event 5, and 200 ms
 * later `GET /api/runs/:id/events` with `Last-Event-ID: 5` timed from the request to its first event (a replay from
 * the run's event log; the run is still answering). Resumed at once, the first event would be the next live delta,
 * and the figure the model's pacing. One sample at a time.
 */
export const resumeScenario: Scenario = {
  name: 'resume',
  async run(ctx) {
    const n = ctx.options.sizes.firstToken.sequential;
    const [user] = await createUsers(ctx.app.url, 'resume', 1);
    const headers = { authorization: `Bearer ${user.token}` };
    // Long enough to be mid-run when resumed: 200 deltas 20 ms apart.
    const prompt = promptFor({ count: 200, delayMs: 20 });
    const samples: number[] = [];
    let wrongId = 0;
    for (let i = 0; i < n; i++) {
      let runId: string | undefined;
      const leave = new AbortController();
      await openStream(appTarget(ctx.app.url, user.token, prompt, { on_disconnect: 'continue' }), {
        timeoutMs: TIMEOUT_MS,
        signal: leave.signal,
        onFrame: (frame) => {
          if (frame.event === 'run_started') runId = (JSON.parse(frame.data) as { run_id: string }).run_id;
          if (Number(frame.id) >= LEFT_AT) leave.abort();
        },
      });
      if (!runId) throw new Error('the run announced no run_id before event 5');
      await sleep(AWAY_MS);
      let first: { at: number; id?: string } | undefined;
      const resumed = await openStream(
        {
          label: 'resume',
          url: new URL(`/api/runs/${runId}/events`, ctx.app.url),
          headers: { ...headers, 'last-event-id': String(LEFT_AT) },
          isToken: () => false,
          isEnd: () => true,
          sequenced: false,
        },
        { timeoutMs: TIMEOUT_MS, onFrame: (frame, at) => (first ??= { at, id: frame.id }) },
      );
      if (!first) throw new Error(`the resumed stream brought no event: ${resumed.error ?? `HTTP ${resumed.status}`}`);
      if (Number(first.id) !== LEFT_AT + 1) wrongId++;
      samples.push(first.at - resumed.startedAt);
      // Ends the run the sample left running, so the next sample starts on a quiet app.
      await (await fetch(`${ctx.app.url}/api/runs/${runId}/cancel`, { method: 'POST', headers })).arrayBuffer();
    }
    await settle(ctx);
    const rows: Row[] = [
      info(
        `resume: GET /api/runs/:id/events with Last-Event-ID, mid-run, to its first event (n=${n})`,
        p50p99(summarize(samples)),
      ),
    ];
    if (wrongId) ctx.note(`resume: ${wrongId} of ${n} resumed streams did not start at event ${LEFT_AT + 1}`);
    return rows;
  },
};
