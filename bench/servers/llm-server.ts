// The scripted Anthropic Messages API from the test fixtures, in its own process, paced by the bench's options.
import { startScriptedAnthropic } from '../../test/fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { serveAsChild } from './serve-as-child.js';

export interface LlmStats {
  received: number;
  /** Responses neither finished nor aborted: streams the app (or the client) still holds open. */
  open: number;
}

serveAsChild(async (args) => {
  const llm = await startScriptedAnthropic({
    deltas: Number(args.deltas),
    deltaDelayMs: Number(args.deltaDelayMs),
  });
  return {
    url: llm.url,
    calls: {
      stats: (): LlmStats => ({
        received: llm.requests.length,
        open: llm.requests.filter((r) => !r.aborted && !r.finished).length,
      }),
      // Recorded requests keep their bodies; dropping them between scenarios keeps this process small.
      reset: () => llm.reset(),
    },
    close: () => llm.close(),
  };
});
