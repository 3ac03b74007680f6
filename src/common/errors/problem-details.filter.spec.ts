import { BadRequestException } from '@nestjs/common';
import { transformException } from '@nestjs/platform-express/multer/multer/multer.utils.js';
// @ts-expect-error -- multer ships no type declarations; its MulterError is all this spec uses.
import multer from 'multer';
import { resolveError } from './problem-details.filter.js';

interface MulterModule {
  MulterError: new (code: string, field?: string) => Error;
}

/** Errors as multer and busboy raise them, then as Nest's FileInterceptor hands them on. */
const multerError = (code: string, field?: string) =>
  transformException(new (multer as MulterModule).MulterError(code, field));
const busboyError = (message: string) => transformException(new Error(message));

describe('resolveError on multipart parser errors', () => {
  it.each([
    ['LIMIT_FILE_SIZE', 'PAYLOAD_TOO_LARGE'],
    ['LIMIT_FIELD_VALUE', 'PAYLOAD_TOO_LARGE'],
    ['LIMIT_FILE_COUNT', 'VALIDATION_FAILED'],
    ['LIMIT_UNEXPECTED_FILE', 'VALIDATION_FAILED'],
    ['LIMIT_PART_COUNT', 'VALIDATION_FAILED'],
    ['LIMIT_FIELD_COUNT', 'VALIDATION_FAILED'],
    ['LIMIT_FIELD_KEY', 'VALIDATION_FAILED'],
    ['MISSING_FIELD_NAME', 'VALIDATION_FAILED'],
    ['LIMIT_FIELD_NESTING', 'VALIDATION_FAILED'],
    ['LIMIT_FIELD_ARRAY_INDEX', 'VALIDATION_FAILED'],
    ['INVALID_FIELD_NAME', 'VALIDATION_FAILED'],
  ])("answers multer's %s as %s in our words", (code, expected) => {
    const raised = multerError(code, 'upload');
    const problem = resolveError(raised);
    expect(problem.code).toBe(expected);
    expect(problem.detail).not.toContain((raised as Error).message);
    expect(JSON.stringify(problem)).not.toContain(new (multer as MulterModule).MulterError(code).message);
  });

  it('names the field multer named, where the field is not what is wrong', () => {
    expect(resolveError(multerError('LIMIT_UNEXPECTED_FILE', 'attachment')).errors).toEqual([
      { field: 'attachment', message: expect.any(String) },
    ]);
    expect(resolveError(multerError('LIMIT_FIELD_KEY', 'n'.repeat(300))).errors).toEqual([
      { field: 'body', message: expect.any(String) },
    ]);
  });

  it.each([
    ['Multipart: Boundary not found', 'VALIDATION_FAILED'],
    ['Malformed part header', 'VALIDATION_FAILED'],
    ['Unexpected end of form', 'VALIDATION_FAILED'],
    ['Unexpected end of file', 'VALIDATION_FAILED'],
    ['Malformed content type', 'VALIDATION_FAILED'],
    ['Missing Content-Type', 'VALIDATION_FAILED'],
    ['Unsupported content type: multipart/mixed; boundary=x', 'UNSUPPORTED_MEDIA_TYPE'],
  ])("answers busboy's %j as %s in our words", (message, expected) => {
    const problem = resolveError(busboyError(message));
    expect(problem.code).toBe(expected);
    expect(problem.detail).not.toContain(message);
  });

  it('leaves every other error to the rest of the filter', () => {
    expect(resolveError(new BadRequestException('Not a multipart problem')).detail).toBe('Not a multipart problem');
    expect(resolveError(new Error('Unexpected end of JSON input'))).toMatchObject({ code: 'INTERNAL_ERROR' });
  });
});
