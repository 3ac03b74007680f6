import { Module } from '@nestjs/common';
import { DocumentsController } from './documents.controller.js';
import { DocumentsRepository } from './documents.repository.js';
import { DocumentsService } from './documents.service.js';
import { DocumentExtractor } from './parsing/document-extractor.js';
import { PARSER_WORKER_FILE, ParserPool } from './parsing/parser-pool.js';
import { PARSER_WORKER_FILE_PATH } from './parsing/parser-worker-file.js';
import { DocumentChunksRepository } from './search/document-chunks.repository.js';
import { DocumentSearchService } from './search/document-search.service.js';
import { SearchLanguageSync } from './search/search-language.sync.js';
import { SearchDocumentsTool } from './search-documents.tool.js';
import { StaleIngestionSweeper } from './stale-ingestion.sweeper.js';

@Module({
  controllers: [DocumentsController],
  providers: [
    DocumentsService,
    DocumentsRepository,
    DocumentExtractor,
    ParserPool,
    { provide: PARSER_WORKER_FILE, useValue: PARSER_WORKER_FILE_PATH },
    DocumentChunksRepository,
    DocumentSearchService,
    SearchLanguageSync,
    SearchDocumentsTool,
    StaleIngestionSweeper,
  ],
  exports: [DocumentSearchService, DocumentsService],
})
export class DocumentsModule {}
