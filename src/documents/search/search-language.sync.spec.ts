import type { AppConfig } from '../../config/app-config.js';
import type { DocumentChunksRepository } from './document-chunks.repository.js';
import { SearchLanguageSync } from './search-language.sync.js';

function setup(exists: boolean, reindexed = 0) {
  const chunks = {
    languageExists: jest.fn(async () => exists),
    reindex: jest.fn(async () => reindexed),
  };
  const sync = new SearchLanguageSync(
    chunks as unknown as DocumentChunksRepository,
    { searchLanguage: 'klingon' } as AppConfig,
  );
  return { sync, chunks };
}

describe('SearchLanguageSync', () => {
  it('fails boot with one line naming SEARCH_LANGUAGE when the database lacks the configuration', async () => {
    const { sync, chunks } = setup(false);
    await expect(sync.onModuleInit()).rejects.toThrow(
      /^Invalid configuration: SEARCH_LANGUAGE "klingon" is not a text search configuration/,
    );
    expect(chunks.reindex).not.toHaveBeenCalled();
  });

  it('re-indexes passages stored under another language', async () => {
    const { sync, chunks } = setup(true, 12);
    await sync.onModuleInit();
    expect(chunks.languageExists).toHaveBeenCalledWith('klingon');
    expect(chunks.reindex).toHaveBeenCalledWith('klingon');
  });
});
