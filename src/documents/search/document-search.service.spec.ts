import type { AppConfig } from '../../config/app-config.js';
import { SearchTimedOut } from '../documents.errors.js';
import { SearchTimeout, type DocumentChunksRepository, type RankedPage } from './document-chunks.repository.js';
import { DocumentSearchService } from './document-search.service.js';
import { HIGHLIGHT_START, HIGHLIGHT_STOP } from './search-hit.js';

const PAGE: RankedPage = {
  total: 1000,
  totalIsLowerBound: true,
  hits: [
    {
      chunkId: 'c1',
      documentId: 'd1',
      title: 'Manual',
      text: 'a <b> walrus',
      ordinal: 0,
      headingPath: [],
      score: 0.5,
      headline: `a <b> ${HIGHLIGHT_START}walrus${HIGHLIGHT_STOP}`,
    },
  ],
};

function setup(analyze: () => Promise<boolean> = async () => false, search = async () => PAGE) {
  const chunks = { search: jest.fn(search), analyzeIfStale: jest.fn(analyze) };
  const service = new DocumentSearchService(
    chunks as unknown as DocumentChunksRepository,
    { searchLanguage: 'english', documents: { searchTimeoutMs: 2500 } } as AppConfig,
  );
  return { service, chunks };
}

describe('DocumentSearchService', () => {
  afterEach(() => jest.useRealTimers());

  it('passes the lower-bound flag through and turns headlines into safe highlights', async () => {
    const { service, chunks } = setup();
    const page = await service.search('u1', 'walrus', { limit: 10, offset: 0 });
    expect(chunks.search).toHaveBeenCalledWith('u1', 'walrus', 'english', { limit: 10, offset: 0 }, undefined, 2500);
    expect(page).toMatchObject({ total: 1000, totalIsLowerBound: true });
    expect(page.hits[0].highlight).toBe('a &lt;b&gt; <mark>walrus</mark>');
  });

  it('checks the statistics at most once a minute, without making the search wait for it', async () => {
    jest.useFakeTimers({ now: 0 });
    let finish!: (analyzed: boolean) => void;
    const { service, chunks } = setup(() => new Promise((resolve) => (finish = resolve)));
    await service.search('u1', 'walrus', { limit: 10, offset: 0 }); // answers while ANALYZE is pending
    await service.search('u1', 'walrus', { limit: 10, offset: 0 });
    expect(chunks.analyzeIfStale).toHaveBeenCalledTimes(1);
    finish(true);
    await service.onModuleDestroy();

    jest.setSystemTime(59_000);
    await service.search('u1', 'walrus', { limit: 10, offset: 0 });
    expect(chunks.analyzeIfStale).toHaveBeenCalledTimes(1);
    jest.setSystemTime(61_000);
    await service.search('u1', 'walrus', { limit: 10, offset: 0 });
    expect(chunks.analyzeIfStale).toHaveBeenCalledTimes(2);
  });

  it('checks the statistics once uploads pause, even inside the minute', async () => {
    jest.useFakeTimers({ now: 0 });
    const { service, chunks } = setup(async () => true);
    await service.search('u1', 'walrus', { limit: 10, offset: 0 });
    await service.onModuleDestroy();
    expect(chunks.analyzeIfStale).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 5; i++) {
      service.chunksChanged();
      await jest.advanceTimersByTimeAsync(500); // a burst of uploads: no check yet
    }
    expect(chunks.analyzeIfStale).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(chunks.analyzeIfStale).toHaveBeenCalledTimes(2);
  });

  it('logs a failed ANALYZE instead of failing the search or the process', async () => {
    const { service } = setup(async () => {
      throw new Error('canceling statement due to user request');
    });
    await expect(service.search('u1', 'walrus', { limit: 10, offset: 0 })).resolves.toMatchObject({ total: 1000 });
    await expect(service.onModuleDestroy()).resolves.toBeUndefined();
  });

  it('turns a search stopped at its statement timeout into a 503 that names the limit', async () => {
    const { service } = setup(undefined, async () => {
      throw new SearchTimeout();
    });
    const search = service.search('u1', 'walrus', { limit: 10, offset: 0 });
    await expect(search).rejects.toBeInstanceOf(SearchTimedOut);
    await expect(search).rejects.toMatchObject({ status: 503, message: expect.stringContaining('2500 ms') });
    await service.onModuleDestroy();
  });
});
