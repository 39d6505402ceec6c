// Every settings table of the server configuration, for what is derived from all of
// them at once (the field table of docs/configuration-tool.md, checked by a test).
import { PLATFORM_DATABASE_SETTINGS } from './platform-database-setting-table.ts';
import { REDIS_SETTINGS } from './redis-setting-table.ts';
import type { SettingGroup } from './setting-table.ts';

export const SETTING_GROUPS: readonly SettingGroup[] = Object.freeze([
  REDIS_SETTINGS,
  PLATFORM_DATABASE_SETTINGS,
]);
