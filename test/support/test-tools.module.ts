import { Injectable, Module } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { AgentTool } from '../../src/agents/tools/agent-tool.decorator.js';
import type { ToolContext } from '../../src/agents/tools/tool-context.js';

/** What the test tools observed, for assertions (the suite runs in one process). */
export const toolLog = {
  aborted: [] as string[],
  calls: [] as Array<{ name: string; userId: string; input: unknown }>,
  reset() {
    this.aborted.length = 0;
    this.calls.length = 0;
  },
};

const EchoInput = z.object({ text: z.string().min(1).max(100).describe('Text to echo back') });
const SlowInput = z.object({ ms: z.number().int().min(0).max(60_000).describe('How long to take') });
const Empty = z.object({});

/** Test-only tools, registered with @AgentTool exactly as a team would add one. */
@Injectable()
export class TestTools {
  @AgentTool({ name: 'echo', description: 'Echoes its input and the calling user.', input: EchoInput })
  echo(input: z.infer<typeof EchoInput>, ctx: ToolContext) {
    toolLog.calls.push({ name: 'echo', userId: ctx.userId, input });
    return { echo: input.text, user_id: ctx.userId };
  }

  @AgentTool({ name: 'slow', description: 'Takes `ms` milliseconds.', input: SlowInput, timeoutMs: 300 })
  async slow(input: z.infer<typeof SlowInput>, ctx: ToolContext) {
    await sleep(input.ms, undefined, { signal: ctx.signal }).catch(() => toolLog.aborted.push('slow'));
    return { slept: input.ms };
  }

  @AgentTool({ name: 'explode', description: 'Always throws.', input: Empty })
  explode(): never {
    throw new Error('boom: internal detail /srv/secret/path');
  }

  @AgentTool({
    name: 'wait_for_abort',
    description: 'Runs until the run is cancelled.',
    input: Empty,
    timeoutMs: 20_000,
  })
  async waitForAbort(_: unknown, ctx: ToolContext) {
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    toolLog.aborted.push('wait_for_abort');
    return { aborted: true };
  }

  @AgentTool({ name: 'whoami', description: 'Returns the user the runtime injected.', input: Empty })
  whoami(_: unknown, ctx: ToolContext) {
    return { user_id: ctx.userId, conversation_id: ctx.conversationId, client_context: ctx.clientContext ?? null };
  }
}

@Module({ providers: [TestTools] })
export class TestToolsModule {}
