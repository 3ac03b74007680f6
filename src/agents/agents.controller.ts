import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/decorators/authenticated.decorator.js';
import { AgentsService } from './agents.service.js';
import { AgentResponseDto, ToolResponseDto } from './dto/agent-response.dto.js';

@ApiTags('agents')
@Authenticated()
@Controller('agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Get()
  @ApiOperation({ summary: 'Agents a client may chat with' })
  @ApiOkResponse({ type: [AgentResponseDto] })
  list(): AgentResponseDto[] {
    return this.agents.listAgents();
  }

  @Get('tools')
  @ApiOperation({ summary: 'Tools registered in this server, with their input schemas' })
  @ApiOkResponse({ type: [ToolResponseDto] })
  tools(): ToolResponseDto[] {
    return this.agents.listTools();
  }
}
