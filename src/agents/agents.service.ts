import { Injectable } from '@nestjs/common';
import { AgentDefinitions } from './agent-definitions.service.js';
import { AgentResponseDto, ToolResponseDto } from './dto/agent-response.dto.js';
import { ToolRegistry } from './tools/tool-registry.js';

@Injectable()
export class AgentsService {
  constructor(
    private readonly definitions: AgentDefinitions,
    private readonly tools: ToolRegistry,
  ) {}

  listAgents(): AgentResponseDto[] {
    return this.definitions
      .list()
      .map((a) => ({ name: a.name, description: a.description, provider: a.provider, model: a.model, tools: a.tools }));
  }

  listTools(): ToolResponseDto[] {
    return this.tools
      .list()
      .map((t) => ({ name: t.name, description: t.description, input_schema: t.inputJsonSchema }));
  }
}
