/** The configuration to the text of its file: fields in a stable order, secrets encrypted. */
import type { PrivateKey } from './private-key.ts';
import { CONFIG_VERSION, type ServerConfiguration } from './schema.ts';
import { Secret } from './secret.ts';
import { encryptSecret } from './secret-encryption.ts';
import { SECRET_FIELD_NAMES, valueAt, withValueAt } from './secret-fields.ts';

/** The JSON text of a configuration, secrets encrypted with `key`. */
export function formatConfigurationText(configuration: ServerConfiguration, key: PrivateKey | null): string {
  const { redis } = configuration.session;
  let file: Record<string, unknown> = {
    version: CONFIG_VERSION,
    session: {
      provider: configuration.session.provider,
      redis:
        redis === undefined
          ? undefined
          : (({ hosts, password, user, useSsl, sslHost, ...advanced }) => ({
              hosts,
              password,
              user,
              useSsl,
              sslHost,
              ...advanced,
            }))(redis),
    },
    platformDatabase: configuration.platformDatabase,
    frontend: configuration.frontend,
    applied: configuration.applied,
  };
  for (const field of SECRET_FIELD_NAMES) {
    const secret = valueAt(configuration, field);
    if (!(secret instanceof Secret)) continue;
    if (key === null) throw new Error('a private key is needed to write a secret');
    file = withValueAt(file, field, { $encrypted: encryptSecret(secret, key, field) });
  }
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** True when writing `configuration` needs the private key (it holds a secret). */
export function hasSecrets(configuration: ServerConfiguration): boolean {
  return SECRET_FIELD_NAMES.some((field) => valueAt(configuration, field) instanceof Secret);
}
