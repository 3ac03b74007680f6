import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Post,
  Query,
  Res,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthUser } from '../auth/auth-user.js';
import { Authenticated } from '../common/decorators/authenticated.decorator.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { ProblemResponseDto } from '../common/errors/problem-response.dto.js';
import { PaginationQueryDto } from '../common/validation/pagination-query.dto.js';
import { UuidParam } from '../common/validation/uuid-param.decorator.js';
import { DocumentsService } from './documents.service.js';
import { CreateDocumentDto } from './dto/create-document.dto.js';
import { DocumentResponseDto } from './dto/document-response.dto.js';
import { SearchDocumentsQueryDto } from './dto/search-documents-query.dto.js';
import { SearchResultDto } from './dto/search-result.dto.js';
import { UploadDocumentFormDto } from './dto/upload-document-form.dto.js';
import { DocumentSearchService } from './search/document-search.service.js';
import { UploadContentTypeInterceptor } from './upload-content-type.interceptor.js';
import type { UploadedDocumentFile } from './uploaded-file.js';

export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

// Memory storage (multer's default): the bytes are hashed and parsed, never written to disk. A larger file is
// rejected while streaming (LIMIT_FILE_SIZE -> 413 problem).
const UPLOAD_OPTIONS = {
  limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 5, parts: 6, fieldSize: 64 * 1024 },
};

const DocumentId = () => UuidParam('id');

@ApiTags('documents')
@Authenticated()
@Controller('documents')
export class DocumentsController {
  constructor(
    private readonly documents: DocumentsService,
    private readonly searchService: DocumentSearchService,
  ) {}

  @Post()
  @UseInterceptors(UploadContentTypeInterceptor, FileInterceptor('file', UPLOAD_OPTIONS))
  @ApiOperation({
    summary: 'Upload a document (multipart file, or JSON text) and index it for search',
    description:
      'The type is detected from the bytes (plain text, Markdown, HTML, PDF text layer, DOCX), never from the ' +
      'file name. Uploading bytes you already uploaded returns the existing document with 200 instead of a copy.',
  })
  @ApiConsumes('multipart/form-data', 'application/json')
  @ApiExtraModels(UploadDocumentFormDto, CreateDocumentDto)
  @ApiBody({
    description: 'multipart/form-data: `file` (+ optional `title`); application/json: `content` (+ optional `title`)',
    schema: { oneOf: [{ $ref: getSchemaPath(UploadDocumentFormDto) }, { $ref: getSchemaPath(CreateDocumentDto) }] },
  })
  @ApiCreatedResponse({ type: DocumentResponseDto, description: 'Stored and indexed' })
  @ApiOkResponse({ type: DocumentResponseDto, description: 'You already uploaded these exact bytes: that document' })
  @ApiBadRequestResponse({ type: ProblemResponseDto, description: 'Neither file nor content, both, or bad fields' })
  @ApiPayloadTooLargeResponse({
    type: ProblemResponseDto,
    description:
      'File over 25 MiB (JSON body over 1 MiB), or past a parsing or passage limit (decompressed size, pages, ' +
      'operators, nesting, memory, passages per document or per user): the detail names it',
  })
  @ApiTooManyRequestsResponse({
    type: ProblemResponseDto,
    description: 'You already have PARSER_QUEUE_PER_USER uploads waiting for a parser (Retry-After)',
  })
  @ApiUnsupportedMediaTypeResponse({ type: ProblemResponseDto, description: 'Not a supported document type' })
  @ApiUnprocessableEntityResponse({
    type: ProblemResponseDto,
    description: 'Empty, corrupt, password-protected, or without extractable text',
  })
  async upload(
    @CurrentUser() user: AuthUser,
    @UploadedFile() file: UploadedDocumentFile | undefined,
    @Body() body: CreateDocumentDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DocumentResponseDto> {
    // A client that goes away while its file waits for (or is in) a parser gives the parser back.
    const gone = new AbortController();
    const onClose = () => {
      if (!res.writableEnded) gone.abort(new Error('The client closed the connection'));
    };
    res.once('close', onClose);
    try {
      const { document, created } = await this.documents.upload(user.id, { file, ...body }, gone.signal);
      res.status(created ? 201 : 200);
      return document;
    } finally {
      res.off('close', onClose);
    }
  }

  // Declared before `:id` so that "search" is never taken for a document id.
  @Get('search')
  @ApiOperation({ summary: "Full-text search over the caller's documents, best passages first" })
  @ApiOkResponse({ type: [SearchResultDto] })
  @ApiBadRequestResponse({ type: ProblemResponseDto, description: 'Missing q, or limit/offset out of range' })
  @ApiServiceUnavailableResponse({
    type: ProblemResponseDto,
    description: 'The search ran past SEARCH_TIMEOUT_MS and was stopped (Retry-After)',
  })
  async search(@CurrentUser() user: AuthUser, @Query() query: SearchDocumentsQueryDto): Promise<SearchResultDto[]> {
    const { hits } = await this.searchService.search(user.id, query.q, query);
    return hits.map((h) => ({
      document_id: h.documentId,
      title: h.title,
      chunk_id: h.chunkId,
      text: h.text,
      score: h.score,
      highlight: h.highlight,
    }));
  }

  @Get()
  @ApiOperation({ summary: "The caller's documents, newest first" })
  @ApiOkResponse({ type: [DocumentResponseDto] })
  @ApiBadRequestResponse({ type: ProblemResponseDto, description: 'limit or offset out of range' })
  list(@CurrentUser() user: AuthUser, @Query() query: PaginationQueryDto): Promise<DocumentResponseDto[]> {
    return this.documents.list(user.id, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of the caller’s documents' })
  @ApiOkResponse({ type: DocumentResponseDto })
  @ApiBadRequestResponse({ type: ProblemResponseDto, description: 'id is not a UUID' })
  @ApiNotFoundResponse({ type: ProblemResponseDto, description: 'No such document of yours' })
  get(@CurrentUser() user: AuthUser, @DocumentId() id: string): Promise<DocumentResponseDto> {
    return this.documents.get(user.id, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a document and its passages' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiBadRequestResponse({ type: ProblemResponseDto, description: 'id is not a UUID' })
  @ApiNotFoundResponse({ type: ProblemResponseDto, description: 'No such document of yours' })
  remove(@CurrentUser() user: AuthUser, @DocumentId() id: string): Promise<void> {
    return this.documents.remove(user.id, id);
  }
}
