import { Controller, Post, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../../auth/auth-user.js';
import { Authenticated } from '../../common/decorators/authenticated.decorator.js';
import { CurrentUser } from '../../common/decorators/current-user.decorator.js';
import { ProblemResponseDto } from '../../common/errors/problem-response.dto.js';
import { UploadDto, UploadFormDto } from './upload.dto.js';
import { UploadsService, type ReceivedFile } from './uploads.service.js';

/** The same file limit as `POST /api/documents`. */
const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
const UPLOAD_OPTIONS = { limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 0, parts: 1 } };

@ApiTags('tasks')
@Authenticated()
@Controller('uploads')
export class UploadsController {
  constructor(private readonly uploads: UploadsService) {}

  @Post()
  @UseInterceptors(FileInterceptor('file', UPLOAD_OPTIONS))
  @ApiOperation({
    summary: 'Keep a file for a document.ingest task',
    description:
      'For files too large to process within a request: the file is only stored here; a `document.ingest` task ' +
      'with its `upload_id` parses and indexes it. Kept 24 hours.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadFormDto })
  @ApiCreatedResponse({ type: UploadDto })
  @ApiBadRequestResponse({ type: ProblemResponseDto, description: 'No file, or a malformed form' })
  @ApiPayloadTooLargeResponse({ type: ProblemResponseDto, description: 'File over 25 MiB' })
  async upload(@CurrentUser() user: AuthUser, @UploadedFile() file: ReceivedFile | undefined): Promise<UploadDto> {
    const kept = await this.uploads.keep(user.id, file);
    return {
      id: kept.id,
      filename: kept.filename,
      mime_type: kept.mimeType,
      size_bytes: kept.sizeBytes,
      created_at: kept.createdAt.toISOString(),
      expires_at: kept.expiresAt.toISOString(),
    };
  }
}
