import { ApiProperty } from '@nestjs/swagger';
import { LLM_PROVIDER_NAMES, type LlmProviderName } from '../../config/app-config.js';

export class AgentResponseDto {
  @ApiProperty({ example: 'assistant' })
  name: string;

  @ApiProperty({ example: "General assistant that answers from the user's own documents." })
  description: string;

  @ApiProperty({ enum: LLM_PROVIDER_NAMES, example: 'anthropic', description: 'The model backend it runs on' })
  provider: LlmProviderName;

  @ApiProperty({ example: 'claude-sonnet-5-5' })
  model: string;

  @ApiProperty({ example: ['search_documents'], type: [String] })
  tools: string[];
}

export class ToolResponseDto {
  @ApiProperty({ example: 'search_documents' })
  name: string;

  @ApiProperty({ example: "Full-text search over the calling user's documents." })
  description: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'JSON Schema of the input, as sent to the model',
    example: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  })
  input_schema: Record<string, unknown>;
}
