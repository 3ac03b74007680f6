import type { FieldError } from './app.error.js';
import type { ErrorCode } from './error-catalogue.js';

export interface MultipartProblem {
  code: ErrorCode;
  detail: string;
  errors?: FieldError[];
}

const FORM_SHAPE = 'The multipart form does not have the fields this endpoint takes';

/**
 * multer's refusals, by the `code` it documents (its messages change between releases, and they are its words,
 * not ours): a size over a limit is 413, anything else about the form's shape is a 400.
 */
const MULTER: Record<string, (field?: string) => MultipartProblem> = {
  LIMIT_FILE_SIZE: () => ({ code: 'PAYLOAD_TOO_LARGE', detail: 'The file is larger than this endpoint accepts' }),
  LIMIT_FIELD_VALUE: () => ({
    code: 'PAYLOAD_TOO_LARGE',
    detail: 'A form field value is longer than this endpoint accepts',
  }),
  LIMIT_FILE_COUNT: (field) => shape('more files than this endpoint accepts', field),
  LIMIT_UNEXPECTED_FILE: (field) => shape('not a file field of this endpoint, or one file too many', field),
  LIMIT_PART_COUNT: () => shape('more parts than this endpoint accepts'),
  LIMIT_FIELD_COUNT: () => shape('more fields than this endpoint accepts'),
  // The name is what is wrong (too long, missing, malformed): not echoed back.
  LIMIT_FIELD_KEY: () => shape('a field name is longer than this endpoint accepts'),
  MISSING_FIELD_NAME: () => shape('a part has no field name'),
  LIMIT_FIELD_NESTING: () => shape('a field name is nested too deep'),
  LIMIT_FIELD_ARRAY_INDEX: () => shape('a field name has too large an array index'),
  INVALID_FIELD_NAME: () => shape('a field name is not valid'),
};

function shape(message: string, field?: string): MultipartProblem {
  return { code: 'VALIDATION_FAILED', detail: FORM_SHAPE, errors: [{ field: field ?? 'body', message }] };
}

const MALFORMED = 'The request body is not a well-formed multipart form';

/** busboy's errors carry no code: they are known by their message, which is therefore never shown as is. */
const BUSBOY: Array<[RegExp, MultipartProblem]> = [
  [
    /^Multipart: Boundary not found$/,
    { code: 'VALIDATION_FAILED', detail: `${MALFORMED}: its Content-Type has no boundary` },
  ],
  [
    /^(Multipart: )?Malformed part header$/,
    { code: 'VALIDATION_FAILED', detail: `${MALFORMED}: a part header cannot be read` },
  ],
  [
    /^(Multipart: )?Unexpected end of (form|file)$/,
    { code: 'VALIDATION_FAILED', detail: `${MALFORMED}: it ends before its closing boundary` },
  ],
  [/^Malformed content type$/, { code: 'VALIDATION_FAILED', detail: `${MALFORMED}: its Content-Type cannot be read` }],
  [/^Missing Content-Type$/, { code: 'VALIDATION_FAILED', detail: `${MALFORMED}: it has no Content-Type` }],
  [/^Unsupported content type/, { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'Unsupported multipart content type' }],
];

/**
 * Our own answer for an error of the multipart parser (multer, or busboy under it), found on the error itself or,
 * when Nest's FileInterceptor wrapped it in an HttpException, on its `cause`; `undefined` for any other error.
 */
export function multipartProblem(exception: unknown): MultipartProblem | undefined {
  const cause = (exception as { cause?: unknown })?.cause;
  for (const err of [cause, exception]) {
    if (!(err instanceof Error)) continue;
    const { code, field } = err as Error & { code?: unknown; field?: unknown };
    if (err.name === 'MulterError' && typeof code === 'string' && Object.hasOwn(MULTER, code)) {
      return MULTER[code](typeof field === 'string' ? field : undefined);
    }
    const known = BUSBOY.find(([pattern]) => pattern.test(err.message));
    if (known) return known[1];
  }
  return undefined;
}
