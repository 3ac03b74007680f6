import { join } from 'node:path';
import { startScriptedOpenAi } from '../fixtures/scripted-openai/scripted-openai.server.js';
import { startChatApp } from './chat-app.js';

export const TEST_OPENAI_KEY = 'sk-openai-test-0123456789abcdef';

/**
 * The app with two model providers configured at once, each behind a scripted server the real SDK talks to:
 * Anthropic (the `tester` agent) and an OpenAI-compatible one (the `gpt` agent), plus an `offline` agent.
 */
export async function startProvidersApp(env: Record<string, string> = {}) {
  const openai = await startScriptedOpenAi();
  try {
    const app = await startChatApp({
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: TEST_OPENAI_KEY,
      AGENTS_DIR: [join(__dirname, '../fixtures/agents'), join(__dirname, '../fixtures/agents-providers')].join(','),
      ...env,
    });
    return {
      ...app,
      openai,
      async close() {
        await app.close();
        await openai.close();
      },
    };
  } catch (err) {
    await openai.close();
    throw err;
  }
}
