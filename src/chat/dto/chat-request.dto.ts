import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { MaxJsonSize } from '../../common/validation/max-json-size.validator.js';

export const CONTEXT_MAX_BYTES = 32 * 1024;

export class ChatMessageDto {
  @ApiProperty({ enum: ['user', 'assistant', 'system'], example: 'user' })
  @IsIn(['user', 'assistant', 'system'])
  role: 'user' | 'assistant' | 'system';

  @ApiProperty({ minLength: 1, maxLength: 50000, example: 'What does my onboarding guide say about VPN access?' })
  @IsString()
  @MinLength(1)
  @MaxLength(50000)
  content: string;
}

export class ChatRequestDto {
  @ApiProperty({
    type: [ChatMessageDto],
    minItems: 1,
    maxItems: 100,
    description:
      'New turn(s). With `conversation_id`, stored history is authoritative and these are appended. The last must be a user message.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ChatMessageDto)
  messages: ChatMessageDto[];

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Continue one of your conversations; omitted: a new one is created',
  })
  @IsOptional()
  @IsUUID()
  conversation_id?: string;

  @ApiPropertyOptional({ example: 'assistant', description: 'Agent name (GET /api/agents); default `assistant`' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: 'agent must be an agent name' })
  agent?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'What the client UI shows the user now (open record, selection…), at most 32 KiB as JSON. Given to the model as data after the system prompt.',
    example: { page: 'invoice', invoice_id: 'INV-1042' },
  })
  @IsOptional()
  @IsObject()
  @MaxJsonSize(CONTEXT_MAX_BYTES)
  context?: Record<string, unknown>;

  @ApiPropertyOptional({
    example: 'claude-sonnet-5-5',
    description: "Must be allowed by the agent; default the agent's model",
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  model?: string;

  @ApiPropertyOptional({ default: true, description: 'true: text/event-stream; false: one JSON response' })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @ApiPropertyOptional({
    description:
      'Default false. true: answer 202 with the run id at once and let the run go on with no client; watch it with GET /api/runs/{id}/events',
  })
  @IsOptional()
  @IsBoolean()
  background?: boolean;

  @ApiPropertyOptional({
    enum: ['cancel', 'continue'],
    description:
      'Default `cancel`. What a dropped connection does to the run: `cancel` stops it (its prefix kept); `continue` keeps it going, so the client can resume it with GET /api/runs/{id}/events',
  })
  @IsOptional()
  @IsIn(['cancel', 'continue'])
  on_disconnect?: 'cancel' | 'continue';

  @ApiPropertyOptional({
    enum: ['reject', 'interrupt', 'enqueue'],
    description:
      'Default `reject`. When the conversation already has an active run: `reject` answers 409 CONVERSATION_BUSY; `interrupt` cancels it (and any queued behind it) and starts this one; `enqueue` queues this one behind it (the stream opens with `run_queued`)',
  })
  @IsOptional()
  @IsIn(['reject', 'interrupt', 'enqueue'])
  if_busy?: 'reject' | 'interrupt' | 'enqueue';
}
