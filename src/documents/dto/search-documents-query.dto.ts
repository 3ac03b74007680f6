import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { IntQueryParam } from '../../common/validation/int-query-param.decorator.js';
import { RANKED_CANDIDATES_CAP } from '../search/document-chunks.repository.js';

export class SearchDocumentsQueryDto {
  @ApiProperty({
    example: 'refund policy "30 days" -draft',
    minLength: 1,
    maxLength: 500,
    description: 'Web-search syntax: words are ANDed, "quoted phrases" match in order, `or` and `-word` work',
  })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  q: string;

  @IntQueryParam({ min: 1, max: 50, default: 10, description: 'Maximum number of passages' })
  limit: number = 10;

  // A search ranks at most the first RANKED_CANDIDATES_CAP matches, so a page past them is always empty: rejected
  // with a clear 400 rather than an empty list a client would take for "no more matches".
  @IntQueryParam({
    min: 0,
    max: RANKED_CANDIDATES_CAP - 1,
    default: 0,
    description: `Passages to skip (best first). A search ranks at most the first ${RANKED_CANDIDATES_CAP} matches`,
  })
  offset: number = 0;
}
