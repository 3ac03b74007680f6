import { z } from 'zod';
import { LLM_PROVIDER_NAMES, type LlmProviderName } from '../config/app-config.js';

export const agentDefinitionSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lower-case letters, digits, - or _'),
    description: z.string().min(1).max(500),
    /** Which model backend runs it; omitted: DEFAULT_PROVIDER. */
    provider: z.enum(LLM_PROVIDER_NAMES).optional(),
    model: z.string().min(1).optional(),
    /** Other models a client may ask for with `model`; the agent's own model is always allowed. */
    allowed_models: z.array(z.string().min(1)).default([]),
    temperature: z.number().min(0).max(1).default(0.3),
    max_tokens: z.number().int().min(1).max(128000).default(4096),
    system_prompt: z.string().min(1).optional(),
    system_prompt_file: z.string().min(1).optional(),
    tools: z.array(z.string()).default([]),
    max_iterations: z.number().int().min(1).max(50).default(8),
    /** How much of the conversation's history the model is sent (tokens, estimated); default HISTORY_MAX_TOKENS. */
    max_history_tokens: z.number().int().min(1000).max(10_000_000).optional(),
  })
  .strict()
  .refine((d) => Boolean(d.system_prompt) !== Boolean(d.system_prompt_file), {
    message: 'exactly one of system_prompt or system_prompt_file is required',
    path: ['system_prompt'],
  });

/** An agent as loaded: the prompt resolved to text, the provider and model resolved against the configuration. */
export interface AgentDefinition {
  name: string;
  description: string;
  provider: LlmProviderName;
  model: string;
  allowedModels: string[];
  temperature: number;
  maxTokens: number;
  systemPrompt: string;
  tools: string[];
  maxIterations: number;
  /** The context budget for the conversation's history, in (estimated) tokens. */
  maxHistoryTokens: number;
  /** The YAML file it came from. */
  file: string;
}
