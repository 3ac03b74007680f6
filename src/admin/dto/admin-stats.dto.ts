import { ApiProperty } from '@nestjs/swagger';

export class AdminStatsDto {
  @ApiProperty({ example: 42 })
  users: number;

  @ApiProperty({ example: 310 })
  conversations: number;

  @ApiProperty({ example: 1250 })
  runs: number;

  @ApiProperty({ example: 3, description: 'Runs streaming right now (database view)' })
  active_runs: number;

  @ApiProperty({ example: 2890 })
  tool_calls: number;

  @ApiProperty({ example: 77 })
  documents: number;
}
