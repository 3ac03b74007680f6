import { IntQueryParam } from './int-query-param.decorator.js';

/** `?limit&offset` for list endpoints. */
export class PaginationQueryDto {
  @IntQueryParam({ min: 1, max: 100, default: 20, description: 'Page size' })
  limit: number = 20;

  @IntQueryParam({ min: 0, max: 1_000_000, default: 0, description: 'Items to skip (in the listing order)' })
  offset: number = 0;
}
