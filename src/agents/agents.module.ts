import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AgentDefinitions } from './agent-definitions.service.js';
import { AgentsController } from './agents.controller.js';
import { AgentsService } from './agents.service.js';
import { LlmProviders } from './llm/llm-providers.js';
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
    LlmProviders,
  ],
  exports: [AgentRuntimeService, ToolRegistry, AgentDefinitions],
})
export class AgentsModule {}
