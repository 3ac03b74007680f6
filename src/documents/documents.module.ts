import { Module } from '@nestjs/common';
import { DocumentsController } from './documents.controller.js';
import { DocumentsRepository } from './documents.repository.js';
import { DocumentsService } from './documents.service.js';
import { DocumentExtractor } from './parsing/document-extractor.js';
import { ParserPool } from './parsing/parser-pool.js';
import { DocumentChunksRepository } from './search/document-chunks.repository.js';
import { DocumentSearchService } from './search/document-search.service.js';
import { SearchLanguageSync } from './search/search-language.sync.js';
import { SearchDocumentsTool } from './search-documents.tool.js';

@Module({
  controllers: [DocumentsController],
  providers: [
    DocumentsService,
    DocumentsRepository,
    DocumentExtractor,
    ParserPool,
    DocumentChunksRepository,
    DocumentSearchService,
    SearchLanguageSync,
    SearchDocumentsTool,
  ],
  exports: [DocumentSearchService, DocumentsService],
})
export class DocumentsModule {}
