import { IntQueryParam } from './int-query-param.decorator.js';

export class ListDocumentsQueryDto {
  @IntQueryParam({ min: 1, max: 100, default: 20, description: 'Page size' })
  limit: number = 20;

  @IntQueryParam({ min: 0, max: 1_000_000, default: 0, description: 'Documents to skip (newest first)' })
  offset: number = 0;
}
