import { Logger, type LoggerService } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express } from 'express';
import type { RunEvent } from '../../agents/runtime/run-event.js';
import type { StartedRun } from '../chat.service.js';
import { startStream } from './stream-run.js';
import { withExpressServer } from '../../../test/support/express-server.js';

async function* failsAfterOneDelta(): AsyncGenerator<RunEvent> {
  yield { type: 'text_delta', text: 'partial' };
  throw new Error('a bug in the relay');
}

describe('startStream', () => {
  it('ends the response and logs a failure the stream could not report in-band (the handler has returned)', async () => {
    const errors: string[] = [];
    const quiet: LoggerService = {
      log() {},
      warn() {},
      error: (message: unknown) => errors.push(JSON.stringify(message)),
    };
    Logger.overrideLogger(quiet);
    const aborts: string[] = [];
    const run: StartedRun = {
      conversationId: 'c1',
      runId: 'r1',
      agent: 'assistant',
      model: 'm',
      events: failsAfterOneDelta(),
      abort: (why) => aborts.push(why),
    };
    const app = new ExpressAdapter().getInstance<Express>();
    app.post('/', (_req, res) => startStream(run, res, 60_000));
    await withExpressServer(app, async (url) => {
      // Without the failure handling the stream stays open on pings and this times out.
      const res = await fetch(`${url}/`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
      const body = await res.text();
      expect(res.status).toBe(200);
      expect(body).toContain('event: run_started');
      expect(body).toContain('"text":"partial"');
      expect(body).not.toContain('[DONE]');
      expect(errors.join('\n')).toContain('a bug in the relay');
      expect(aborts).toEqual([]);
    });
  });
});
