import type { z } from 'zod';
import type { ToolContext } from './tool-context.js';

/** A tool as the registry holds it: its contract for the model and a bound function to call. */
export interface RegisteredTool {
  name: string;
  description: string;
  input: z.ZodType;
  /** JSON Schema of `input`, sent to the model. Computed once at registration. */
  inputJsonSchema: Record<string, unknown>;
  timeoutMs?: number;
  /** Where it was declared, for error messages (`DocumentsSearchTool.search`). */
  source: string;
  invoke(input: unknown, ctx: ToolContext): Promise<unknown>;
}
