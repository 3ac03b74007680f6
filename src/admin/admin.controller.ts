import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/decorators/authenticated.decorator.js';
import { AdminService } from './admin.service.js';
import { AdminStatsDto } from './dto/admin-stats.dto.js';

@ApiTags('admin')
@Authenticated({ roles: ['admin'] })
@Controller('admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Get('stats')
  @ApiOperation({ summary: 'Instance-wide counts (admin only)' })
  @ApiOkResponse({ type: AdminStatsDto })
  stats(): Promise<AdminStatsDto> {
    return this.admin.stats();
  }
}
