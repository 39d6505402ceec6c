/**
 * The extension pair, named as StackExchange.Redis names it:
 * `SERedis_ClientCertPemPath` (a PEM certificate, optionally followed by its chain) and
 * `SERedis_ClientCertPasswordPath` (the path of its PEM private key — despite the name,
 * not a password). An encrypted key is opened with `SERedis_ClientCertPassword`.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { type ClientIdentity, orderChain } from './client-identity.ts';
import { TlsError } from './errors.ts';
import { quotePath, quotePathValue, readMaterialFile, resolveMaterialPath } from './material-file.ts';
import { certificatesFromPem, pemBlocks } from './pem.ts';
import { TLS_VARIABLES } from './variables.ts';

const CERT = TLS_VARIABLES.pemCertPath;
const KEY = TLS_VARIABLES.pemKeyPath;
const PASSWORD = TLS_VARIABLES.password;

/** Throws TESSERA_TLS_PEM_PAIR_INCOMPLETE unless both variables are set. */
export function requireCompletePair(certValue: string | undefined, keyValue: string | undefined): void {
  if (certValue && !keyValue) {
    throw new TlsError(
      'TESSERA_TLS_PEM_PAIR_INCOMPLETE',
      `${CERT} is set (${quotePathValue(certValue)}) but ${KEY} is not. ` +
        `Set ${KEY} to the full path of the PEM private key file of that certificate.`,
      { variable: KEY },
    );
  }
  if (keyValue && !certValue) {
    throw new TlsError(
      'TESSERA_TLS_PEM_PAIR_INCOMPLETE',
      `${KEY} is set (${quotePathValue(keyValue)}) but ${CERT} is not. ` +
        `Set ${CERT} to the full path of the PEM certificate that goes with that key, or, if ${KEY} holds the ` +
        `certificate's password, unset it and set ${PASSWORD} instead (${KEY} holds the path of a PEM key file, despite its name).`,
      { variable: CERT },
    );
  }
}

export function loadPemPair(
  certValue: string,
  keyValue: string,
  password: string | undefined,
): ClientIdentity {
  const certPath = resolveMaterialPath(certValue);
  const keyPath = resolveMaterialPath(keyValue);
  const certBytes = readMaterialFile(CERT, certValue);
  const keyBytes = readMaterialFile(KEY, keyValue);

  let certificates: ReturnType<typeof certificatesFromPem> = [];
  let cause: unknown;
  try {
    certificates = certificatesFromPem(certBytes.toString('utf8'));
  } catch (error) {
    cause = error;
  }
  const [certificate, ...others] = certificates;
  if (!certificate) {
    throw new TlsError(
      'TESSERA_TLS_PEM_INVALID',
      `${CERT} names ${quotePath(certPath)}, which holds no readable PEM certificate ("-----BEGIN CERTIFICATE-----"). ` +
        `Set ${CERT} to the client certificate in PEM form (a .pfx file goes in ${TLS_VARIABLES.pfxPath}).`,
      { cause, variable: CERT },
    );
  }
  const key = privateKey(keyPath, keyBytes.toString('utf8'), password);
  if (!certificate.checkPrivateKey(key)) {
    throw new TlsError(
      'TESSERA_TLS_KEY_MISMATCH',
      `The private key in ${quotePath(keyPath)} (${KEY}) does not belong to the certificate in ${quotePath(certPath)} (${CERT}). ` +
        `Set ${KEY} to the key that was created with that certificate.`,
      { variable: KEY },
    );
  }
  const chain = orderChain(certificate, others);
  const contextOptions = {
    key: key.export({ type: 'pkcs8', format: 'pem' }),
    cert: [certificate, ...chain].map((c) => c.toString()).join(''),
  };
  try {
    createSecureContext(contextOptions);
  } catch (error) {
    throw new TlsError(
      'TESSERA_TLS_PEM_INVALID',
      `The certificate in ${quotePath(certPath)} (${CERT}) and the key in ${quotePath(keyPath)} (${KEY}) cannot be used together ` +
        `(${error instanceof Error ? error.message : String(error)}). Export them again as an unencrypted PEM key and its certificate.`,
      { cause: error, variable: CERT },
    );
  }
  return Object.freeze({
    source: 'pem',
    variable: CERT,
    path: certPath,
    loadedWith: 'native',
    certificate,
    chain: () => chain,
    keyMatches: true,
    contextOptions,
    trusted: [],
  });
}

function privateKey(keyPath: string, text: string, password: string | undefined): KeyObject {
  const block = pemBlocks(text).find((b) => /PRIVATE KEY$/.test(b.label));
  if (!block) {
    throw new TlsError(
      'TESSERA_TLS_PEM_INVALID',
      `${KEY} names ${quotePath(keyPath)}, which holds no PEM private key ("-----BEGIN PRIVATE KEY-----"). ` +
        `Set ${KEY} to the private key file of the certificate in ${CERT} (despite its name, the variable holds a path).`,
      { variable: KEY },
    );
  }
  const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block.pem);
  if (encrypted && !password) {
    throw new TlsError(
      'TESSERA_TLS_PEM_KEY_PASSWORD',
      `The private key in ${quotePath(keyPath)} (${KEY}) is encrypted, and ${PASSWORD} is ${password === '' ? 'empty' : 'not set'}. ` +
        `Set ${PASSWORD} to the key's password.`,
      { variable: PASSWORD },
    );
  }
  try {
    return createPrivateKey(encrypted ? { key: block.pem, passphrase: password } : block.pem);
  } catch (cause) {
    if (encrypted) {
      throw new TlsError(
        'TESSERA_TLS_PEM_KEY_PASSWORD',
        `${PASSWORD} does not open the private key in ${quotePath(keyPath)} (${KEY}) (wrong password). Set it to the key's password.`,
        { cause, variable: PASSWORD },
      );
    }
    throw new TlsError(
      'TESSERA_TLS_PEM_INVALID',
      `${KEY} names ${quotePath(keyPath)}, whose private key cannot be read (${cause instanceof Error ? cause.message : String(cause)}). ` +
        `Export the key again in PEM form.`,
      { cause, variable: KEY },
    );
  }
}
