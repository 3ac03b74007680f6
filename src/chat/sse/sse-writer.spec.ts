import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express, Response } from 'express';
import { SseWriter } from './sse-writer.js';
import { withExpressServer } from '../../../test/support/express-server.js';

describe('SseWriter', () => {
  it('sends the headers set before it opened with its own in one block, then numbered frames and [DONE]', async () => {
    let afterOpen: { names: string[]; block: string } | undefined;
    const app = new ExpressAdapter().getInstance<Express>();
    app.post('/', (_req, res: Response) => {
      // What middleware (helmet, rate limits, the request id) sets before the handler runs.
      res.setHeader('X-Request-Id', 'req-1');
      res.setHeader('X-RateLimit-Remaining-chat', '29');
      const sse = new SseWriter(res, 60_000);
      sse.open();
      sse.send('run_started', { run_id: 'r1' });
      setImmediate(() => {
        afterOpen = { names: res.getHeaderNames(), block: (res as unknown as { _header: string })._header };
        sse.send('text_delta', { text: 'hi' });
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
      // Flattening the kept block changes nothing a caller can see: the block and the header map are intact.
      expect(afterOpen?.block).toMatch(/^HTTP\/1\.1 200 OK\r\n.*X-Request-Id: req-1\r\n/s);
      expect(afterOpen?.names).toEqual(
        expect.arrayContaining(['x-request-id', 'x-ratelimit-remaining-chat', 'content-type', 'x-accel-buffering']),
      );
    });
  });
});
