import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express, Response } from 'express';
import { SseWriter } from './sse-writer.js';
import { withExpressServer } from '../../../test/support/express-server.js';

describe('SseWriter', () => {
  it('sends the headers set before it opened with its own in one block, then numbered frames and [DONE]', async () => {
    let afterOpen: { names: string[] } | undefined;
    const app = new ExpressAdapter().getInstance<Express>();
    app.post('/', (_req, res: Response) => {
      // What middleware (helmet, rate limits, the request id) sets before the handler runs.
      res.setHeader('X-Request-Id', 'req-1');
      res.setHeader('X-RateLimit-Remaining-chat', '29');
      const sse = new SseWriter(res, 60_000);
      sse.open();
      sse.send(1, 'run_started', { type: 'run_started', run_id: 'r1' });
      setImmediate(() => {
        afterOpen = { names: res.getHeaderNames() };
        sse.send(2, 'text_delta', { type: 'text_delta', text: 'hi' });
        sse.done();
      });
    });
    await withExpressServer(app, async (url) => {
      const res = await fetch(`${url}/`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
      const body = await res.text();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
      expect(res.headers.get('x-accel-buffering')).toBe('no');
      expect(res.headers.get('x-request-id')).toBe('req-1');
      expect(res.headers.get('x-ratelimit-remaining-chat')).toBe('29');
      expect(body).toBe(
        'id: 1\nevent: run_started\ndata: {"type":"run_started","run_id":"r1"}\n\n' +
          'id: 2\nevent: text_delta\ndata: {"type":"text_delta","text":"hi"}\n\n' +
          'data: [DONE]\n\n',
      );
      expect(afterOpen?.names).toEqual(
        expect.arrayContaining(['x-request-id', 'x-ratelimit-remaining-chat', 'content-type', 'x-accel-buffering']),
      );
    });
  });
});
