import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { DocumentChunksRepository } from './document-chunks.repository.js';

/**
 * At boot: fails fast when SEARCH_LANGUAGE names no text search configuration of this database, and re-indexes
 * chunks written under a previous SEARCH_LANGUAGE, so queries and the index always use the same configuration.
 */
@Injectable()
export class SearchLanguageSync implements OnModuleInit {
  private readonly logger = new Logger('Documents');

  constructor(
    private readonly chunks: DocumentChunksRepository,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const language = this.config.searchLanguage;
    if (!(await this.chunks.languageExists(language))) {
      throw new Error(
        `Invalid configuration: SEARCH_LANGUAGE "${language}" is not a text search configuration of the database ` +
          '(english and simple always exist)',
      );
    }
    const started = performance.now();
    const reindexed = await this.chunks.reindex(language);
    if (reindexed > 0) {
      this.logger.log({
        msg: 're-indexed document chunks for SEARCH_LANGUAGE',
        language,
        chunks: reindexed,
        ms: Math.round(performance.now() - started),
      });
    }
  }
}
