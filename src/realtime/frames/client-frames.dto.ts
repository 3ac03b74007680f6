import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { ChatRequestDto, CONTEXT_MAX_BYTES } from '../../chat/dto/chat-request.dto.js';
import { MaxJsonSize } from '../../common/validation/max-json-size.validator.js';

const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/** Every client frame may carry a `request_id`, echoed on its `ack` or `error`. */
abstract class ClientFrame {
  @IsOptional()
  @IsString()
  @Matches(REQUEST_ID, { message: 'request_id must be 1 to 200 visible ASCII characters' })
  request_id?: string;
}

/** `{type: "chat", request_id?, ...ChatRequest}`: the same fields and validation as `POST /api/chat`. */
export class ChatFrameDto extends ChatRequestDto {
  @IsIn(['chat'])
  type: 'chat';

  @IsOptional()
  @IsString()
  @Matches(REQUEST_ID, { message: 'request_id must be 1 to 200 visible ASCII characters' })
  request_id?: string;
}

export class CancelFrameDto extends ClientFrame {
  @IsIn(['cancel'])
  type: 'cancel';

  @IsUUID()
  run_id: string;
}

export class ContextFrameDto extends ClientFrame {
  @IsIn(['context'])
  type: 'context';

  @IsUUID()
  run_id: string;

  @IsObject()
  @MaxJsonSize(CONTEXT_MAX_BYTES)
  context: Record<string, unknown>;
}

export class SubscribeFrameDto extends ClientFrame {
  @IsIn(['subscribe'])
  type: 'subscribe';

  @IsUUID()
  conversation_id: string;

  @IsOptional()
  @IsUUID()
  after_run_id?: string;
}

export class UnsubscribeFrameDto extends ClientFrame {
  @IsIn(['unsubscribe'])
  type: 'unsubscribe';

  @IsUUID()
  conversation_id: string;
}

export class ResumeFrameDto extends ClientFrame {
  @IsIn(['resume'])
  type: 'resume';

  @IsUUID()
  run_id: string;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(999_999_999)
  after: number;
}

export class PingFrameDto extends ClientFrame {
  @IsIn(['ping'])
  type: 'ping';
}

/** Each frame type and the DTO that validates it. */
export const CLIENT_FRAMES = {
  chat: ChatFrameDto,
  cancel: CancelFrameDto,
  context: ContextFrameDto,
  subscribe: SubscribeFrameDto,
  unsubscribe: UnsubscribeFrameDto,
  resume: ResumeFrameDto,
  ping: PingFrameDto,
} as const;

export type ClientFrameType = keyof typeof CLIENT_FRAMES;
export type ClientFrameOf<T extends ClientFrameType> = InstanceType<(typeof CLIENT_FRAMES)[T]>;
