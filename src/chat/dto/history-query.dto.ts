import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { IntQueryParam } from '../../common/validation/int-query-param.decorator.js';

export const HISTORY_PAGE_DEFAULT = 200;
export const HISTORY_PAGE_MAX = 500;

/** `GET /api/chat/{id}/history` pages backwards from the newest message. */
export class HistoryQueryDto {
  @IntQueryParam({
    min: 1,
    max: HISTORY_PAGE_MAX,
    default: HISTORY_PAGE_DEFAULT,
    description: 'Messages per page: the newest ones (before `before`), returned oldest first',
  })
  limit: number = HISTORY_PAGE_DEFAULT;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'A message id: the page holds the messages before it (the `Link: rel="next"` header gives it)',
  })
  @IsOptional()
  @IsUUID()
  before?: string;
}
