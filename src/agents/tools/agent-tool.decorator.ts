import { SetMetadata } from '@nestjs/common';
import type { z } from 'zod';

export const AGENT_TOOL = 'agents:tool';

export interface AgentToolOptions<S extends z.ZodType = z.ZodType> {
  /** Unique across the app; what the model calls. `^[a-zA-Z0-9_-]{1,64}$`. */
  name: string;
  /** Tells the model when and how to use the tool. */
  description: string;
  /**
   * One schema for both jobs: it validates the model's input at run time and produces the JSON Schema sent to
   * the model. Give every field a `.describe()`.
   */
  input: S;
  /** Overrides TOOL_TIMEOUT_MS for this tool. */
  timeoutMs?: number;
}

/**
 * Marks a provider method as a tool the agent runtime may call. The method receives the validated input and a
 * `ToolContext` (the calling user, run, abort signal) that the runtime injects — never the model:
 *
 * ```ts
 * @AgentTool({ name: 'search_documents', description: '…', input: SearchInput })
 * search(input: z.infer<typeof SearchInput>, ctx: ToolContext) { … }
 * ```
 *
 * Throw a `ToolError` for failures the model should see as data; anything else becomes `INTERNAL_ERROR`.
 */
export const AgentTool = <S extends z.ZodType>(options: AgentToolOptions<S>): MethodDecorator =>
  SetMetadata(AGENT_TOOL, options);
