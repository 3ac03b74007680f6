import { ApiProperty } from '@nestjs/swagger';

export class SearchResultDto {
  @ApiProperty({ format: 'uuid', example: '3f1d1c2e-8d7b-4a4e-9a39-2d5f0b7c6e11' })
  document_id: string;

  @ApiProperty({ example: 'Refund policy' })
  title: string;

  @ApiProperty({ format: 'uuid', example: '9b2c7f4a-1e3d-4c5b-8a6f-0d1e2f3a4b5c' })
  chunk_id: string;

  @ApiProperty({
    example: '## Refunds\n\nCustomers may return items within 30 days of delivery.',
    description: 'The passage, verbatim',
  })
  text: string;

  @ApiProperty({ example: 0.0909, description: 'ts_rank_cd cover density, normalized to [0, 1); higher is better' })
  score: number;

  @ApiProperty({
    example: 'Customers may <mark>return</mark> items within <mark>30 days</mark> of delivery.',
    description: 'HTML-escaped excerpt with the matches wrapped in <mark>',
  })
  highlight: string;
}
