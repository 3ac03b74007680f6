import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { ChatRequestDto } from '../../dto/chat-request.dto.js';

/** A chat id as the AI SDK makes them (`generateId`: letters and digits) or a conversation's UUID. */
export const CHAT_ID = /^[A-Za-z0-9_-]{1,128}$/;
export const UI_TRIGGERS = ['submit-message', 'regenerate-message'] as const;

/** A UIMessage as the AI SDK sends it; only the new user turn's text parts are read. */
export type UiMessageInput = Record<string, unknown>;

/**
 * The body of the AI SDK's `DefaultChatTransport` (`useChat`): `{id, messages, trigger, messageId}`, plus `agent`,
 * `model` and `context` when the client adds them (`body` option of the transport or of `sendMessage`).
 */
export class ChatUiRequestDto extends PickType(ChatRequestDto, [
  'agent',
  'model',
  'context',
  'on_disconnect',
] as const) {
  @ApiProperty({
    example: '0b7c1f0e-5d1a-4c39-9a51-6f1f3a2b7c44',
    description:
      'The chat id (`useChat({ id })`). A UUID is the conversation id itself; any other id names a conversation of ' +
      'yours derived from it. Created on first use.',
  })
  @IsString()
  @Matches(CHAT_ID, { message: 'id must be 1 to 128 letters, digits, - or _' })
  id: string;

  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    minItems: 1,
    description:
      'The chat’s UIMessages. Only the last one is read, the new user turn (its text parts): the stored history ' +
      'is authoritative.',
    example: [
      {
        id: 'm1',
        role: 'user',
        parts: [{ type: 'text', text: 'What does my onboarding guide say about VPN access?' }],
      },
    ],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @IsObject({ each: true })
  messages: UiMessageInput[];

  @ApiPropertyOptional({ enum: UI_TRIGGERS, example: 'submit-message' })
  @IsOptional()
  @IsIn(UI_TRIGGERS)
  trigger?: (typeof UI_TRIGGERS)[number];

  @ApiPropertyOptional({ description: 'The message a `regenerate-message` trigger is about' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  messageId?: string;
}
