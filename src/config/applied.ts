/**
 * The record of the last Apply (`tessera config apply`, **Apply and Exit**): which
 * revision, when, which session provider, and a fingerprint of the settings, so
 * that the tools can tell whether the settings changed since and what the
 * operator must do next in Service Center.
 *
 * The fingerprint covers the session settings and the platform database settings.
 * It is an HMAC keyed with the server's private key: it reveals nothing of the
 * passwords, even to someone who can read the file. Being keyed per server, it
 * cannot be compared between front-ends: the farm-wide comparison uses
 * `farm-fingerprint.ts`, which covers no secret at all.
 */
import { createHmac } from 'node:crypto';
import type { PrivateKey } from './private-key.ts';
import { connectionStringFor } from './redis-settings.ts';
import type { AppliedRecord, ServerConfiguration, ServiceCenterStep, SessionProviderName } from './schema.ts';

/** Whether the session settings were applied: never, as they are now, or changed since (unknown without the key). */
export type AppliedState = 'never' | 'current' | 'changed' | 'unknown';

export function settingsFingerprint(configuration: ServerConfiguration, key: PrivateKey): string {
  const { provider } = configuration.session;
  const database = configuration.platformDatabase;
  const canonical = JSON.stringify({
    provider,
    connectionString: provider === 'redis' ? connectionStringFor(configuration) : null,
    // Only when set, so that the fingerprint of a configuration without it stays what it was.
    ...(database !== undefined
      ? {
          platformDatabase:
            database.provider === 'sqlite'
              ? database
              : { ...database, password: database.password?.reveal() ?? null },
        }
      : {}),
  });
  return `hmac-sha256:${createHmac('sha256', key.bytes).update(canonical).digest('hex')}`;
}

export function appliedState(configuration: ServerConfiguration, key: PrivateKey | null): AppliedState {
  const { applied } = configuration;
  if (applied === undefined) return 'never';
  if (key === null) return 'unknown';
  return applied.settingsHash === settingsFingerprint(configuration, key) ? 'current' : 'changed';
}

/** The configuration with a new applied record (revision one more than the last). */
export function withApplied(
  configuration: ServerConfiguration,
  key: PrivateKey,
  options: { readonly at?: Date; readonly forced?: boolean } = {},
): ServerConfiguration {
  const applied: AppliedRecord = {
    revision: (configuration.applied?.revision ?? 0) + 1,
    at: (options.at ?? new Date()).toISOString(),
    provider: configuration.session.provider,
    providerBefore: configuration.applied?.provider ?? 'memory',
    settingsHash: settingsFingerprint(configuration, key),
    serviceCenterStep: serviceCenterStep(configuration.applied, configuration.session.provider),
    ...(options.forced ? { forced: true } : {}),
  };
  return { ...configuration, applied };
}

/** What the operator must do in Service Center after applying `provider` (see `ServiceCenterStep`). */
export function serviceCenterStep(
  previous: AppliedRecord | undefined,
  provider: SessionProviderName,
): ServiceCenterStep {
  // Never applied: the modules run on the default provider, in-memory.
  const before = previous?.provider ?? 'memory';
  if (before !== provider) return 'republish';
  return provider === 'memory' ? 'none' : 'apply-settings';
}
