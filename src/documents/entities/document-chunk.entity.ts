import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A searchable passage of a document. `search_config` and the generated `tsv` column are deliberately not mapped:
 * they are written and read only by the raw SQL in DocumentChunksRepository, and TypeORM has no regconfig type.
 */
@Entity({ name: 'document_chunks' })
export class DocumentChunkEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'document_id', type: 'uuid' })
  documentId: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'integer' })
  ordinal: number;

  @Column({ type: 'text' })
  text: string;

  /** Offsets into the document's extracted text, in UTF-16 code units: `text === extracted.slice(start, end)`. */
  @Column({ name: 'start_offset', type: 'integer' })
  startOffset: number;

  @Column({ name: 'end_offset', type: 'integer' })
  endOffset: number;

  /** The headings the passage sits under, outermost first (`['Guide', 'Install']`); empty for unstructured text. */
  @Column({ name: 'heading_path', type: 'text', array: true, default: () => "'{}'" })
  headingPath: string[];
}
