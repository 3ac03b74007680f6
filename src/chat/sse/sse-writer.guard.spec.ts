import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express, Response } from 'express';
import helmet from 'helmet';
import { Agent, request } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SseWriter } from './sse-writer.js';
import { withExpressServer } from '../../../test/support/express-server.js';

/**
 * The guards of docs/PERFORMANCE.md, "SSE header block": `SseWriter.open()` sends the response's headers on their own,
 * before any event. The first case fails if it stops doing so; the second, the day Node keeps a header block sent as
 * the prefix of the first event no larger than one sent alone: then the order no longer matters and the entry goes.
 */

/** Streams opened per step (the heap is read after the first step and after the second). */
const STREAMS = 500;
const FRAME = 'id: 1\nevent: run_started\ndata: {"type":"run_started","run_id":"r"}\n\n';

type Variant = 'alone' | 'joined';

/** The headers the app's middleware sets before a chat route runs: helmet's, a request id, rate limits. */
function app(route: (res: Response) => void): Express {
  const server = new ExpressAdapter().getInstance<Express>();
  server.use(helmet());
  server.get('/', (_req, res: Response) => {
    res.setHeader('X-Request-Id', crypto.randomUUID());
    for (const name of ['', '-chat']) {
      res.setHeader(`X-RateLimit-Limit${name}`, '30');
      res.setHeader(`X-RateLimit-Remaining${name}`, '29');
      res.setHeader(`X-RateLimit-Reset${name}`, '60');
    }
    route(res);
  });
  return server;
}

describe('SseWriter guards (docs/PERFORMANCE.md, "SSE header block")', () => {
  it('sends the header block on its own when it opens, before any event', async () => {
    let sentAtOpen: boolean | undefined;
    const server = app((res) => {
      const sse = new SseWriter(res, 60_000);
      sse.open();
      sentAtOpen = res.headersSent;
      sse.send(1, 'run_started', { type: 'run_started', run_id: 'r' });
      sse.done();
    });
    await withExpressServer(server, async (url) => {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      expect(await res.text()).toBe(`${FRAME}data: [DONE]\n\n`);
    });
    expect(sentAtOpen).toBe(true);
  });

  it('is still needed: a header block sent with the first event holds at least 0.5 KB more per open stream', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return process.memoryUsage().heapUsed;
    };
    const perStream = async (variant: Variant) => {
      const held: Response[] = [];
      // SseWriter's order (`alone`) and the one it avoids (`joined`), otherwise the same response, held open.
      const server = app((res) => {
        held.push(res);
        res.status(200).setHeader('Content-Type', 'text/event-stream; charset=utf-8');
        res.cork();
        if (variant === 'alone') res.flushHeaders();
        res.write(FRAME);
        setImmediate(() => res.uncork());
      });
      return withExpressServer(server, async (url) => {
        const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
        // Resolves once the first frame arrived: the headers and the event are out.
        const open = (n: number) =>
          Promise.all(
            Array.from(
              { length: n },
              () =>
                new Promise<void>((resolve, reject) => {
                  request(url, { agent }, (res) => {
                    res.once('data', () => resolve());
                    res.on('error', () => undefined);
                  })
                    .on('error', reject)
                    .end();
                }),
            ),
          );
        try {
          await open(STREAMS);
          const before = await heap();
          await open(STREAMS);
          const after = await heap();
          return (after - before) / STREAMS / 1024;
        } finally {
          for (const res of held) res.destroy();
          agent.destroy();
        }
      });
    };
    const alone: number[] = [];
    const joined: number[] = [];
    for (let round = 0; round < 3; round++) {
      alone.push(await perStream('alone'));
      joined.push(await perStream('joined'));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
    const extra = median(joined) - median(alone);
    // On failure, the KB per stream each way held in each round.
    expect({ needed: extra >= 0.5, alone, joined }).toEqual({ needed: true, alone, joined });
  }, 60_000);
});
