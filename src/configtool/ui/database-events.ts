/**
 * The Platform Database tab's Test Connection, and the database step of Apply and
 * Exit (`../apply-database.ts`, as `tessera config apply` runs it), reported as the
 * page's progress events: each check as it completes, then the summary.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LoadedConfiguration, PlatformDatabaseSettings } from '../../config/index.ts';
import type { DatabaseCheck, DatabaseTestReport } from '../../platform/index.ts';
import { databaseSettingsOf, testDatabase } from '../../platform/index.ts';
import { testedEvent } from '../apply.ts';
import { applyPlatformDatabase } from '../apply-database.ts';
import type { Emit } from './apply-session.ts';

function emitCheck(emit: Emit) {
  return (check: DatabaseCheck) =>
    emit({
      type: 'check',
      check: { host: check.host, name: check.name, ok: check.ok, detail: check.detail, ms: check.ms },
    });
}

function emitTested(emit: Emit, report: DatabaseTestReport): void {
  emit(testedEvent(report));
}

/** The database `settings` name, with `loaded`'s location for the default SQLite file. */
function connectionOf(loaded: LoadedConfiguration, settings: PlatformDatabaseSettings) {
  return databaseSettingsOf({
    ...loaded,
    configuration: { ...loaded.configuration, platformDatabase: settings },
  });
}

/** Test Connection of the database `settings` name; changes nothing. */
export async function testPlatformDatabase(
  loaded: LoadedConfiguration,
  settings: PlatformDatabaseSettings,
  env: NodeJS.ProcessEnv,
  emit: Emit,
): Promise<void> {
  const report = await testDatabase(connectionOf(loaded, settings), { env, onCheck: emitCheck(emit) });
  emitTested(emit, report);
}

/**
 * Tests the database and creates or migrates its schema; false, after an `error`
 * event that says why, when it cannot be used (nothing may then be applied).
 */
export async function applyPlatformDatabaseStep(
  loaded: LoadedConfiguration,
  settings: PlatformDatabaseSettings,
  env: NodeJS.ProcessEnv,
  emit: Emit,
): Promise<boolean> {
  const database = connectionOf(loaded, settings);
  // The default SQLite file lives in the configuration's folder, which the save creates
  // anyway (0700), as `tessera config apply` does.
  if (database.engine === 'sqlite' && dirname(database.path) === dirname(loaded.location.path)) {
    await mkdir(dirname(loaded.location.path), { recursive: true, mode: 0o700 }).catch(() => {});
  }
  const outcome = await applyPlatformDatabase(database, { env, onCheck: emitCheck(emit) });
  emitTested(emit, outcome.report);
  if (outcome.ok) return true;
  const failed = outcome.report.checks.find((check) => !check.ok);
  emit({
    type: 'error',
    ...((outcome.error?.code ?? failed?.code) !== undefined
      ? { code: outcome.error?.code ?? failed?.code }
      : {}),
    message:
      `Not applied: the platform database cannot be used${outcome.error ? `: ${outcome.error.message}` : ' (the problem and its fix are above)'}. ` +
      'Correct its settings on the Platform Database tab, or the database, then apply again. Nothing was changed.',
  } as Parameters<Emit>[0]);
  return false;
}
