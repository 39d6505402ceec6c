/**
 * The platform database part of an apply: Test Connection of the database the
 * configuration names, then its schema created or migrated to this Tessera's. A
 * database that fails a check, or whose migration fails, refuses the apply (nothing
 * is saved); there is no forcing it, since the front-end servers cannot run without
 * their schema.
 */
import {
  type DatabaseCheck,
  type DatabaseSettings,
  type DatabaseTestReport,
  PlatformDatabase,
  PlatformError,
  testDatabase,
} from '../platform/index.ts';

export type DatabaseApplyOutcome =
  | { readonly ok: true; readonly report: DatabaseTestReport; readonly migrated: readonly string[] }
  | {
      readonly ok: false;
      readonly report: DatabaseTestReport;
      /** Why the schema could not be created or migrated (absent when a check failed). */
      readonly error?: PlatformError;
    };

export async function applyPlatformDatabase(
  settings: DatabaseSettings,
  options: {
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly onCheck?: (check: DatabaseCheck) => void;
  },
): Promise<DatabaseApplyOutcome> {
  const report = await testDatabase(settings, {
    env: options.env,
    ...(options.onCheck ? { onCheck: options.onCheck } : {}),
  });
  if (!report.ok) return { ok: false, report };
  try {
    // Opening migrates (safe when front-end servers start at the same moment).
    const database = await PlatformDatabase.open(settings, { env: options.env });
    await database.close();
  } catch (error) {
    if (error instanceof PlatformError) return { ok: false, report, error };
    throw error;
  }
  const migrated = report.migrations?.state === 'pending' ? report.migrations.pending : [];
  return { ok: true, report, migrated };
}
