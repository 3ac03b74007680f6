import type { DynamicModule, Type } from '@nestjs/common';
import { join } from 'node:path';
import {
  startScriptedAnthropic,
  type ScriptedAnthropic,
} from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { startTestApp, type TestApp } from './test-app.js';
import { TestToolsModule } from './test-tools.module.js';

export const TEST_API_KEY = 'sk-test-key-0123456789abcdef';

/** The app wired to a scripted Anthropic server through the real SDK, with the test tools and test agents. */
export async function startChatApp(
  env: Record<string, string> = {},
  imports: Array<Type | DynamicModule> = [],
): Promise<{ t: TestApp; llm: ScriptedAnthropic; close(): Promise<void> }> {
  const llm = await startScriptedAnthropic();
  const t = await startTestApp({
    imports: [TestToolsModule, ...imports],
    env: {
      ANTHROPIC_API_KEY: TEST_API_KEY,
      ANTHROPIC_BASE_URL: llm.url,
      AGENTS_DIR: join(__dirname, '../fixtures/agents'),
      LLM_MAX_RETRIES: '1',
      ...env,
    },
  });
  return {
    t,
    llm,
    async close() {
      await t.close();
      await llm.close();
    },
  };
}
