import { IntQueryParam } from '../../common/validation/int-query-param.decorator.js';

export class RunEventsQueryDto {
  @IntQueryParam({
    min: 0,
    max: 999_999_999,
    default: 0,
    description: 'Replay the events after this id (0: from the start); the Last-Event-ID header wins over it',
  })
  after: number = 0;
}
