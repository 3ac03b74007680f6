/** The part of multer's file object the service needs, so the service does not depend on multer. */
export interface UploadedDocumentFile {
  buffer: Buffer;
  originalname: string;
  /** The part's declared Content-Type: a hint for telling text, Markdown and HTML apart, nothing more. */
  mimetype: string;
  size: number;
}
