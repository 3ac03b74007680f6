import { setMaxListeners } from 'node:events';
import { createUsers, postAs, type BenchUser } from '../api-client.js';
import { info, type Row } from '../report.js';
import { openStream, type StreamResult } from '../sse-client.js';
import { appTarget, promptFor } from '../stream-targets.js';
import { p50p99, summarize } from '../stats.js';
import { SHORT_ANSWER } from './first-token.js';
import { settle, type BenchContext, type Scenario } from './scenario.js';

const ROUNDS = 3;
const TIMEOUT_MS = 60_000;

/** A conversation of the owner's, shared with every member as a viewer. */
async function sharedConversation(ctx: BenchContext, owner: BenchUser, members: BenchUser[]): Promise<string> {
  let conversationId: string | undefined;
  const first = await openStream(appTarget(ctx.app.url, owner.token, SHORT_ANSWER), {
    timeoutMs: TIMEOUT_MS,
    onFrame: (frame) => {
      if (frame.event === 'run_started') {
        conversationId = (JSON.parse(frame.data) as { conversation_id: string }).conversation_id;
      }
    },
  });
  if (!conversationId) throw new Error(`the first run announced no conversation: ${first.error ?? first.status}`);
  for (const member of members) {
    const url = `${ctx.app.url}/api/conversations/${conversationId}/members`;
    await postAs(owner, url, { email: member.email, role: 'viewer' }, 201);
  }
  return conversationId;
}

/**
 * Fan-out: one run watched by N members over `GET /api/conversations/:id/events`. For each text delta of the run,
 * the time from its arrival on the requester's own stream (the app's first delivery of the model's token) to its
 * arrival at the last of the N subscribers; every subscriber has all the run's deltas, in order, so the k-th delta
 * of each stream is the same token.
 */
export const fanOutScenario: Scenario = {
  name: 'fan-out',
  async run(ctx) {
    const n = ctx.options.sizes.fanOut.subscribers;
    const [owner, ...members] = await createUsers(ctx.app.url, 'fan-out', n + 1);
    const conversationId = await sharedConversation(ctx, owner, members);
    const toLast: number[] = [];
    const toEach: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const leave = new AbortController();
      setMaxListeners(n + 10, leave.signal);
      const opened: Array<Promise<void>> = [];
      const watchers = members.map((member) => {
        let onOpen!: () => void;
        opened.push(new Promise<void>((resolve) => (onOpen = resolve)));
        return openStream(
          {
            label: 'subscriber',
            url: new URL(`/api/conversations/${conversationId}/events`, ctx.app.url),
            headers: { authorization: `Bearer ${member.token}` },
            isToken: (f) => f.event === 'text_delta',
            isEnd: (f) => f.event === 'run_finished',
            sequenced: false,
          },
          { timeoutMs: TIMEOUT_MS, signal: leave.signal, onOpen },
        );
      });
      await Promise.all(opened);
      const requester = await openStream(
        appTarget(ctx.app.url, owner.token, promptFor(ctx.options.pacing), { conversation_id: conversationId }),
        { timeoutMs: TIMEOUT_MS },
      );
      const subscribers: StreamResult[] = await Promise.race([
        Promise.all(watchers),
        new Promise<StreamResult[]>((resolve) => setTimeout(() => resolve([]), 5_000)),
      ]);
      leave.abort();
      if (!subscribers.length) throw new Error('the subscribers did not see the run end within 5 s of the requester');
      const short = subscribers.filter((s) => s.tokenTimes.length !== requester.tokenTimes.length).length;
      if (short) throw new Error(`${short} of ${n} subscribers did not get every delta of the run`);
      requester.tokenTimes.forEach((sent, k) => {
        const arrivals = subscribers.map((s) => s.tokenTimes[k] - sent);
        toEach.push(...arrivals);
        toLast.push(Math.max(...arrivals));
      });
      await settle(ctx);
    }
    const rows: Row[] = [
      info(
        `fan-out to ${n} subscribers of GET /api/conversations/:id/events, token at the requester -> at the last subscriber`,
        `${p50p99(summarize(toLast))} (${toLast.length} tokens)`,
      ),
      info('  the same, each subscriber', p50p99(summarize(toEach))),
    ];
    return rows;
  },
};
