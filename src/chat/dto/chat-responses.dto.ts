import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ToolErrorDto {
  @ApiProperty({ example: 'Tool search_documents timed out after 30000 ms' })
  error: string;

  @ApiProperty({ enum: ['NOT_FOUND', 'INVALID_INPUT', 'TIMEOUT', 'FORBIDDEN', 'INTERNAL_ERROR'], example: 'TIMEOUT' })
  code: string;

  @ApiProperty({ example: true })
  recoverable: boolean;
}

export class ToolCallDto {
  @ApiProperty({ example: 'toolu_01A09q90qw90lq917835lq9' })
  id: string;

  @ApiProperty({ example: 'search_documents' })
  name: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { query: 'vpn access', max_results: 5 } })
  input: unknown;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The tool output (absent when it failed; null when the tool returned nothing)',
    example: { results: [], total: 0 },
  })
  result?: unknown;

  @ApiPropertyOptional({ type: ToolErrorDto })
  error?: ToolErrorDto;

  @ApiProperty({ example: 12 })
  duration_ms: number;
}

export class UsageDto {
  @ApiProperty({ example: 1250 })
  input_tokens: number;

  @ApiProperty({ example: 310 })
  output_tokens: number;
}

export class RunErrorDto {
  @ApiProperty({ example: 'UPSTREAM_OVERLOADED' })
  code: string;

  @ApiProperty({ example: 'The model provider is overloaded; try again shortly' })
  message: string;

  @ApiProperty({ example: true })
  recoverable: boolean;
}

export class AssistantMessageDto {
  @ApiProperty({ enum: ['assistant'], example: 'assistant' })
  role: 'assistant';

  @ApiProperty({ example: 'Your onboarding guide says VPN access is requested through the IT portal.' })
  content: string;
}

export class ChatResponseDto {
  @ApiProperty({ format: 'uuid' })
  conversation_id: string;

  @ApiProperty({ format: 'uuid' })
  run_id: string;

  @ApiProperty({ enum: ['completed', 'cancelled', 'failed'], example: 'completed' })
  status: string;

  @ApiProperty({ type: AssistantMessageDto })
  message: AssistantMessageDto;

  @ApiProperty({ type: [ToolCallDto] })
  tool_calls: ToolCallDto[];

  @ApiProperty({ type: UsageDto })
  usage: UsageDto;

  @ApiPropertyOptional({ type: RunErrorDto, description: 'Present when status is failed' })
  error?: RunErrorDto;
}

export class CancelResponseDto {
  @ApiProperty({ example: true, description: 'false when no run was active' })
  cancelled: boolean;
}

export class HistoryMessageDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: ['user', 'assistant', 'system'] })
  role: string;

  @ApiProperty({ example: 'What does my onboarding guide say about VPN access?' })
  content: string;

  @ApiProperty({ enum: ['streaming', 'completed', 'cancelled', 'failed', 'interrupted'], example: 'completed' })
  status: string;

  @ApiPropertyOptional({ type: [ToolCallDto], description: 'Tools the assistant called for this message' })
  tool_calls?: ToolCallDto[];

  @ApiProperty({ format: 'date-time' })
  created_at: string;
}

export class ConversationDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({
    enum: ['owner', 'participant', 'viewer'],
    example: 'owner',
    description: 'What you are to it: its owner, or a member it is shared with',
  })
  role: 'owner' | 'participant' | 'viewer';

  @ApiProperty({ example: 'What does my onboarding guide say about VPN access?' })
  title: string;

  @ApiProperty({ example: 'assistant' })
  agent: string;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

export class AcceptedRunDto {
  @ApiProperty({ format: 'uuid' })
  conversation_id: string;

  @ApiProperty({ format: 'uuid' })
  run_id: string;

  @ApiProperty({ enum: ['running', 'queued'], example: 'running' })
  status: 'running' | 'queued';
}

export class RunDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  conversation_id: string;

  @ApiProperty({ example: 'assistant' })
  agent: string;

  @ApiProperty({ example: 'claude-sonnet-5-5' })
  model: string;

  @ApiProperty({
    enum: ['queued', 'running', 'waiting', 'completed', 'cancelled', 'failed', 'interrupted'],
    example: 'completed',
  })
  status: string;

  @ApiProperty({ type: 'string', nullable: true, example: 'end_turn' })
  stop_reason: string | null;

  @ApiProperty({ type: UsageDto })
  usage: UsageDto;

  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    example: null,
    description: '`{code, message}` when the run failed or was interrupted',
  })
  error: { code: string; message: string } | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  started_at: string | null;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  finished_at: string | null;

  @ApiProperty({ example: 42, description: 'The id of the last event so far; resume with Last-Event-ID' })
  last_event_id: number;
}
