/**
 * Encryption of secret settings at rest: AES-256-GCM with the server's private key.
 *
 * Stored form (a JSON string inside `{"$encrypted": …}`):
 *
 *   v1:<key id>:<iv>:<tag>:<ciphertext>        (iv, tag, ciphertext in base64url)
 *
 * The key id tells a value encrypted with another key (a restored configuration
 * without its key file) from a damaged value. The setting's path is the
 * additional authenticated data, so a ciphertext moved to another field does not
 * decrypt there.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConfigError } from './errors.ts';
import type { PrivateKey } from './private-key.ts';
import { Secret } from './secret.ts';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What an encrypted value names before it is decrypted. */
export interface EncryptedValue {
  readonly keyId: string;
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly ciphertext: Buffer;
}

export function encryptSecret(secret: Secret, key: PrivateKey, field: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(field));
  const ciphertext = Buffer.concat([cipher.update(secret.reveal(), 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, key.id, b64(iv), b64(tag), b64(ciphertext)].join(':');
}

/** Parses a stored value, or returns `null` when it is not in the stored form. */
export function parseEncryptedValue(text: string): EncryptedValue | null {
  const parts = text.split(':');
  if (parts.length !== 5 || parts[0] !== VERSION) return null;
  const [, keyId, iv, tag, ciphertext] = parts as [string, string, string, string, string];
  if (!/^[0-9a-f]{12}$/.test(keyId) || ![iv, tag, ciphertext].every((p) => /^[A-Za-z0-9_-]*$/.test(p)))
    return null;
  const value = {
    keyId,
    iv: Buffer.from(iv, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
  };
  if (value.iv.length !== IV_BYTES || value.tag.length !== TAG_BYTES) return null;
  return value;
}

/**
 * Decrypts a stored value of the setting `field` in the file `configPath`. Throws
 * `TESSERA_CONFIG_PRIVATE_KEY_WRONG` when it was encrypted with another key, and
 * `TESSERA_CONFIG_INVALID` when the value itself is damaged.
 */
export function decryptSecret(
  value: EncryptedValue,
  key: PrivateKey,
  field: string,
  configPath: string,
): Secret {
  if (value.keyId !== key.id) {
    throw new ConfigError(
      'TESSERA_CONFIG_PRIVATE_KEY_WRONG',
      `${field} in ${configPath} was encrypted with another private key (key ${value.keyId}); ` +
        `the private key file ${key.path} holds key ${key.id}.`,
      { path: configPath, field },
    );
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, value.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(field));
    decipher.setAuthTag(value.tag);
    const clear = Buffer.concat([decipher.update(value.ciphertext), decipher.final()]);
    return new Secret(clear.toString('utf8'));
  } catch (error) {
    throw new ConfigError(
      'TESSERA_CONFIG_INVALID',
      `${field} in ${configPath} is damaged: it does not decrypt with the private key ${key.path} ` +
        `(key ${key.id}) although it was encrypted with that key.`,
      { cause: error, path: configPath, field },
    );
  }
}

function additionalData(field: string): Buffer {
  return Buffer.from(`tessera-config-secret:${VERSION}:${field}`, 'utf8');
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64url');
}
