import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AppConfig } from '../config/app-config.js';
import { AgentDefinitions } from './agent-definitions.service.js';
import { AgentsController } from './agents.controller.js';
import { AgentsService } from './agents.service.js';
import { AnthropicProvider } from './llm/anthropic.provider.js';
import { LLM_PROVIDER } from './llm/llm-provider.js';
import { OfflineProvider } from './llm/offline.provider.js';
import { AgentRuntimeService } from './runtime/agent-runtime.service.js';
import { ToolExecutor } from './tools/tool-executor.js';
import { ToolExplorer } from './tools/tool-explorer.js';
import { ToolRegistry } from './tools/tool-registry.js';

@Module({
  imports: [DiscoveryModule],
  controllers: [AgentsController],
  providers: [
    ToolRegistry,
    ToolExplorer,
    ToolExecutor,
    AgentDefinitions,
    AgentsService,
    AgentRuntimeService,
    {
      provide: LLM_PROVIDER,
      inject: [AppConfig],
      // With a key, Anthropic; without, the offline provider, so the whole pipeline runs on a bare machine.
      useFactory: (config: AppConfig) =>
        config.anthropic.apiKey ? new AnthropicProvider(config) : new OfflineProvider(),
    },
  ],
  exports: [AgentRuntimeService, ToolRegistry, AgentDefinitions],
})
export class AgentsModule {}
