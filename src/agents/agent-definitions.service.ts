import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parse } from 'yaml';
import { AppConfig } from '../config/app-config.js';
import { AgentDefinitionError, AgentNotFound } from './agents.errors.js';
import { agentDefinitionSchema, type AgentDefinition } from './agent-definition.js';
import { LlmProviders } from './llm/llm-providers.js';
import { ToolRegistry } from './tools/tool-registry.js';

export const DEFAULT_AGENT = 'assistant';
/** Shipped definitions; copied next to the compiled code by nest-cli's assets. */
const BUILT_IN_DIR = join(__dirname, 'definitions');

/**
 * Loads agent definitions (YAML) from the built-in folder and AGENTS_DIR at bootstrap — after every module has
 * registered its tools — and fails boot with the file and field of anything invalid.
 */
@Injectable()
export class AgentDefinitions implements OnApplicationBootstrap {
  private readonly agents = new Map<string, AgentDefinition>();

  constructor(
    private readonly config: AppConfig,
    private readonly tools: ToolRegistry,
    private readonly providers: LlmProviders,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const dir of [BUILT_IN_DIR, ...this.config.agentsDirs]) {
      for (const file of await yamlFiles(dir)) {
        const agent = await this.load(file);
        const existing = this.agents.get(agent.name);
        if (existing)
          throw new AgentDefinitionError(`${file}: agent name "${agent.name}" is already defined in ${existing.file}`);
        this.agents.set(agent.name, agent);
      }
    }
    if (!this.agents.has(DEFAULT_AGENT))
      throw new AgentDefinitionError(`No "${DEFAULT_AGENT}" agent definition found in ${BUILT_IN_DIR}`);
  }

  get(name: string = DEFAULT_AGENT): AgentDefinition {
    const agent = this.agents.get(name);
    if (!agent) throw new AgentNotFound();
    return agent;
  }

  list(): AgentDefinition[] {
    return [...this.agents.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  private async load(file: string): Promise<AgentDefinition> {
    let raw: unknown;
    try {
      raw = parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new AgentDefinitionError(
        `${file}: not valid YAML (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`,
      );
    }
    const parsed = agentDefinitionSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AgentDefinitionError(`${file}: field "${issue.path.join('.') || '(root)'}" ${issue.message}`);
    }
    const d = parsed.data;
    for (const tool of d.tools) {
      if (!this.tools.has(tool)) throw new AgentDefinitionError(`${file}: field "tools" names unknown tool "${tool}"`);
    }
    let systemPrompt = d.system_prompt;
    if (d.system_prompt_file) {
      const promptPath = join(dirname(file), basename(d.system_prompt_file));
      try {
        systemPrompt = await readFile(promptPath, 'utf8');
      } catch {
        throw new AgentDefinitionError(`${file}: field "system_prompt_file" cannot read ${promptPath}`);
      }
    }
    const provider = d.provider ?? this.config.llm.defaultProvider;
    if (!this.providers.has(provider)) {
      const how = provider === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'OPENAI_BASE_URL or OPENAI_API_KEY';
      throw new AgentDefinitionError(
        `${file}: field "provider" names ${provider}, which is not configured (set ${how})`,
      );
    }
    const model = d.model ?? (provider === 'openai-compatible' ? this.config.openai.model : this.config.defaultModel);
    if (!model) {
      throw new AgentDefinitionError(
        `${file}: field "model" is required for provider ${provider} (or set OPENAI_MODEL)`,
      );
    }
    return {
      name: d.name,
      description: d.description,
      provider,
      model,
      allowedModels: [...new Set([model, ...d.allowed_models])],
      temperature: d.temperature,
      maxTokens: d.max_tokens,
      systemPrompt: systemPrompt!.trim(),
      tools: d.tools,
      maxIterations: d.max_iterations,
      maxHistoryTokens: d.max_history_tokens ?? this.config.historyMaxTokens,
      file,
    };
  }
}

async function yamlFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new AgentDefinitionError(`Agent definitions folder ${dir} cannot be read`);
  }
  return names
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => join(dir, n));
}
