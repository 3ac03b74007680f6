import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { UnsupportedUploadEncoding } from './documents.errors.js';

/**
 * Answers 415 for a request body that is neither multipart nor JSON (e.g. raw PDF bytes), which would otherwise
 * reach validation as a missing body and get a confusing 400.
 */
@Injectable()
export class UploadContentTypeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    if (req.is(['multipart/form-data', 'application/json']) === false) {
      throw new UnsupportedUploadEncoding();
    }
    return next.handle();
  }
}
