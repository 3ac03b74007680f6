import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  ValidateNested,
} from 'class-validator';
import { ChatMessageDto } from '../../chat/dto/chat-request.dto.js';

/** `agent.run`: one turn answered in the background, as `POST /api/chat` with `background: true` would. */
export class AgentRunInputDto {
  @ApiProperty({
    type: [ChatMessageDto],
    minItems: 1,
    maxItems: 100,
    description: 'New turn(s), as for POST /api/chat; the last must be a user message',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ChatMessageDto)
  messages: ChatMessageDto[];

  @ApiPropertyOptional({ example: 'assistant', description: 'Agent name (GET /api/agents); default `assistant`' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: 'agent must be an agent name' })
  agent?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Continue a conversation you may post in; omitted: a new one is created',
  })
  @IsOptional()
  @IsUUID()
  conversation_id?: string;
}
