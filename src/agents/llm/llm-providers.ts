import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { AnthropicProvider } from './anthropic.provider.js';
import type { LlmProvider, LlmProviderName } from './llm-provider.js';
import { OfflineProvider } from './offline.provider.js';
import { OpenAiCompatibleProvider } from './openai-compatible.provider.js';

/**
 * The model backends this process is configured for, by name: each agent streams from the one it names
 * (`provider` in its definition; DEFAULT_PROVIDER when it names none). `offline` is always there.
 */
@Injectable()
export class LlmProviders implements OnApplicationShutdown {
  private readonly providers = new Map<LlmProviderName, LlmProvider & Partial<OnApplicationShutdown>>();

  constructor(config: AppConfig) {
    for (const name of config.llm.providers) this.providers.set(name, create(name, config));
  }

  /** The provider an agent names; agent definitions are checked at boot to name a configured one. */
  get(name: LlmProviderName): LlmProvider {
    const provider = this.providers.get(name);
    if (!provider) throw new Error(`LLM provider ${name} is not configured`);
    return provider;
  }

  has(name: LlmProviderName): boolean {
    return this.providers.has(name);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.providers.values()].map((p) => p.onApplicationShutdown?.()));
  }
}

function create(name: LlmProviderName, config: AppConfig): LlmProvider {
  switch (name) {
    case 'anthropic':
      return new AnthropicProvider(config);
    case 'openai-compatible':
      return new OpenAiCompatibleProvider(config);
    case 'offline':
      return new OfflineProvider();
  }
}
