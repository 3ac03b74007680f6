import WebSocket from 'ws';
import { createUsers } from '../api-client.js';
import { info, type Row } from '../report.js';
import { appTarget } from '../stream-targets.js';
import { p50p99, sleep, summarize } from '../stats.js';
import { interleaved, SHORT_ANSWER } from './first-token.js';
import { settle, type Scenario } from './scenario.js';

const TIMEOUT_MS = 30_000;
const PAUSE_MS = 25;

interface Frame {
  type: string;
  request_id?: string;
  run_id?: string;
}

/** One open `/ws/chat` connection; `chat` times a chat frame's send to its run's first `text_delta`. */
async function connect(appUrl: string, token: string) {
  const ws = new WebSocket(`${appUrl.replace(/^http/, 'ws')}/ws/chat`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let onFrame: (frame: Frame, at: number) => void = () => undefined;
  ws.on('message', (data: Buffer) => onFrame(JSON.parse(data.toString('utf8')) as Frame, performance.now()));
  let next = 0;
  return {
    close: () => ws.close(),
    chat: (content: string) =>
      new Promise<number>((resolve, reject) => {
        const requestId = `q${++next}`;
        let runId: string | undefined;
        let firstToken: number | undefined;
        const timer = setTimeout(
          () => reject(new Error(`no answer to ${requestId} within ${TIMEOUT_MS} ms`)),
          TIMEOUT_MS,
        );
        onFrame = (frame, at) => {
          if (frame.type === 'ack' && frame.request_id === requestId) runId = frame.run_id;
          else if (frame.type === 'error' && frame.request_id === requestId) reject(new Error(JSON.stringify(frame)));
          else if (frame.run_id !== runId || runId === undefined) return;
          else if (frame.type === 'text_delta') firstToken ??= at - sent;
          else if (frame.type === 'run_finished') {
            clearTimeout(timer);
            if (firstToken === undefined) reject(new Error(`run ${runId} finished without text`));
            else resolve(firstToken);
          }
        };
        const sent = performance.now();
        ws.send(JSON.stringify({ type: 'chat', request_id: requestId, messages: [{ role: 'user', content }] }));
      }),
  };
}

/**
 * WebSocket first token beside SSE's: the same short answer, one request at a time, alternating between
 * `POST /api/chat` (a new connection each, as a browser's EventSource-style fetch would) and a chat frame on one
 * open `/ws/chat` connection (its natural use: the connection outlives the run).
 */
export const websocketScenario: Scenario = {
  name: 'websocket',
  async run(ctx) {
    const n = ctx.options.sizes.firstToken.sequential;
    const [user] = await createUsers(ctx.app.url, 'websocket', 1);
    const ws = await connect(ctx.app.url, user.token);
    const sse = appTarget(ctx.app.url, user.token, SHORT_ANSWER);
    const wsSamples: number[] = [];
    const sseSamples: number[] = [];
    try {
      for (let i = 0; i < 5; i++) await ws.chat(SHORT_ANSWER);
      for (let i = 0; i < n; i++) {
        const [stats] = await interleaved([sse], 1);
        sseSamples.push(stats.firstToken.p50);
        await sleep(PAUSE_MS);
        wsSamples.push(await ws.chat(SHORT_ANSWER));
        await sleep(PAUSE_MS);
      }
    } finally {
      ws.close();
    }
    await settle(ctx);
    const rows: Row[] = [
      info(
        `first token, WebSocket beside SSE, 1 stream (n=${n} each, interleaved)`,
        `SSE ${p50p99(summarize(sseSamples))}, WebSocket ${p50p99(summarize(wsSamples))}`,
      ),
    ];
    return rows;
  },
};
