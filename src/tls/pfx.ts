/**
 * `SERedis_ClientCertPfxPath` (+ `SERedis_ClientCertPassword`): the client certificate
 * and key from a PKCS#12 file.
 *
 * Node's own loader comes first. Its OpenSSL 3 refuses files with legacy encryption
 * (RC2-40, as exported by older Windows: "Unsupported PKCS12 PFX data"); those are
 * decoded with node-forge and handed to Node as PEM key and certificates.
 *
 * Before either, the file's own DER lengths say whether it is whole: a file cut short
 * or with a changed byte is reported as damaged, not as a wrong password or as legacy
 * encryption (which is what both loaders make of it).
 */
import { X509Certificate } from 'node:crypto';
import { Duplex } from 'node:stream';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import { type ClientIdentity, orderChain } from './client-identity.ts';
import { TlsError } from './errors.ts';
import { quotePath, readMaterialFile, resolveMaterialPath } from './material-file.ts';
import { looksLikePem } from './pem.ts';
import { decodePfxWithForge } from './pfx-forge.ts';
import { type PfxShape, pfxShape } from './pfx-shape.ts';
import { passwordCandidates, TLS_VARIABLES } from './variables.ts';

const PFX = TLS_VARIABLES.pfxPath;
const PASSWORD = TLS_VARIABLES.password;

/** Loads the PFX named by `value`, opened with `password` (unset or empty: both empty forms are tried). */
export function loadPfx(value: string, password: string | undefined): ClientIdentity {
  const path = resolveMaterialPath(value);
  const bytes = readMaterialFile(PFX, value);
  const shape = pfxShape(bytes);
  if (shape.kind === 'not-pkcs12') throw notPkcs12(path, bytes, undefined);
  if (shape.kind !== 'whole') throw damaged(path, shape);
  const candidates = passwordCandidates(password);

  for (const passphrase of candidates) {
    let context: SecureContext;
    try {
      context = createSecureContext({ pfx: bytes, passphrase });
    } catch (cause) {
      // OpenSSL checks the MAC, with the password, before anything else.
      if (/mac verify failure/i.test(cause instanceof Error ? cause.message : String(cause))) {
        continue;
      }
      // "Unsupported PKCS12 PFX data" (legacy encryption), and everything else Node
      // refuses ("Unable to load private key", "wrong tag", …): node-forge decodes
      // the file, or says precisely what is wrong with it.
      return loadWithForge(path, bytes, password);
    }
    return nativeIdentity(path, bytes, passphrase, context);
  }
  // A changed byte fails the MAC as a wrong password does; node-forge tells them apart.
  return loadWithForge(path, bytes, password);
}

function nativeIdentity(
  path: string,
  bytes: Buffer,
  passphrase: string | undefined,
  context: SecureContext,
): ClientIdentity {
  const certificate = certificateOf(context);
  if (!certificate) return loadWithForge(path, bytes, passphrase);
  // Node keeps the extra certificates to itself; node-forge can list them for the report.
  let chain: readonly X509Certificate[] | undefined | null = null;
  const readChain = () => {
    if (chain === null) {
      const decoded = decodePfxWithForge(bytes, [passphrase]);
      chain =
        decoded.kind === 'decoded'
          ? orderChain(
              certificate,
              decoded.certificates.filter((c) => c.fingerprint256 !== certificate.fingerprint256),
            )
          : undefined;
    }
    return chain;
  };
  return Object.freeze({
    source: 'pfx',
    variable: PFX,
    path,
    loadedWith: 'native',
    certificate,
    chain: readChain,
    // OpenSSL only loads a PFX whose key belongs to its certificate.
    keyMatches: true,
    contextOptions: { pfx: bytes, passphrase },
    trusted: [],
  });
}

function loadWithForge(path: string, bytes: Buffer, password: string | undefined): ClientIdentity {
  const decoded = decodePfxWithForge(bytes, passwordCandidates(password));
  switch (decoded.kind) {
    case 'not-pkcs12':
      throw notPkcs12(path, bytes, decoded.cause);
    case 'wrong-password':
      throw wrongPassword(path, password, decoded.cause);
    case 'unsupported':
      throw unsupported(path, decoded.cause);
    case 'damaged':
      throw damaged(path, { kind: 'integrity', password }, decoded.cause);
  }
  const [key] = decoded.keys;
  if (!key) throw noKey(path);
  if (decoded.certificates.length === 0) throw noCertificate(path);
  const certificate = decoded.certificates.find((c) => c.checkPrivateKey(key));
  if (!certificate) throw keyMismatch(path);
  const chain = orderChain(
    certificate,
    decoded.certificates.filter((c) => c !== certificate),
  );
  const contextOptions = {
    key: key.export({ type: 'pkcs8', format: 'pem' }),
    cert: [certificate, ...chain].map((c) => c.toString()).join(''),
  };
  try {
    createSecureContext(contextOptions);
  } catch (cause) {
    throw unsupported(path, cause);
  }
  return Object.freeze({
    source: 'pfx',
    variable: PFX,
    path,
    loadedWith: 'legacy (RC2-40) fallback',
    certificate,
    chain: () => chain,
    keyMatches: true,
    contextOptions,
    trusted: chain.map((c) => c.toString()),
  });
}

/** The certificate a context presents, read through a socket that is never connected. */
function certificateOf(context: SecureContext): X509Certificate | undefined {
  const socket = new TLSSocket(new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() }), {
    secureContext: context,
  });
  try {
    const cert = socket.getCertificate();
    return cert && 'raw' in cert ? new X509Certificate(cert.raw) : undefined;
  } finally {
    socket.destroy();
  }
}

function wrongPassword(path: string, password: string | undefined, cause?: unknown): TlsError {
  if (!password) {
    return new TlsError(
      'TESSERA_TLS_PFX_PASSWORD_REQUIRED',
      `${quotePath(path)} (${PFX}) is protected by a password, and ${PASSWORD} is ${password === '' ? 'empty' : 'not set'}. ` +
        `Set ${PASSWORD} to the password the certificate was exported with.`,
      { cause, variable: PASSWORD },
    );
  }
  return new TlsError(
    'TESSERA_TLS_PFX_PASSWORD',
    `${PASSWORD} does not open ${quotePath(path)} (wrong password). Set it to the password the certificate was exported with. ` +
      `(Should it be right, the file was damaged after it was exported: copy it again from the original.)`,
    { cause, variable: PASSWORD },
  );
}

function noKey(path: string): TlsError {
  return new TlsError(
    'TESSERA_TLS_PFX_NO_KEY',
    `${PFX} names ${quotePath(path)}, which holds no private key, only certificates. Export the client certificate again ` +
      `with its private key (Windows: "Yes, export the private key"; OpenSSL: openssl pkcs12 -export -in cert.pem -inkey key.pem -out client.pfx).`,
    { variable: PFX },
  );
}

function noCertificate(path: string): TlsError {
  return new TlsError(
    'TESSERA_TLS_PFX_NO_CERTIFICATE',
    `${PFX} names ${quotePath(path)}, which holds a private key but no certificate. Export the client certificate ` +
      `together with its private key as a .pfx file and set ${PFX} to its path.`,
    { variable: PFX },
  );
}

function keyMismatch(path: string): TlsError {
  return new TlsError(
    'TESSERA_TLS_KEY_MISMATCH',
    `${PFX} names ${quotePath(path)}, whose private key belongs to none of the certificates in the file. ` +
      `Export the client certificate again together with its own private key.`,
    { variable: PFX },
  );
}

function notPkcs12(path: string, bytes: Buffer, cause: unknown): TlsError {
  const fix = looksLikePem(bytes)
    ? `It holds PEM text: set ${TLS_VARIABLES.pemCertPath} and ${TLS_VARIABLES.pemKeyPath} to the certificate and key files instead ` +
      `(and unset ${PFX}), or convert them with "openssl pkcs12 -export -in cert.pem -inkey key.pem -out client.pfx".`
    : `Export the client certificate with its private key as a .pfx (PKCS#12) file and set ${PFX} to its path.`;
  return new TlsError(
    'TESSERA_TLS_PFX_NOT_PKCS12',
    `${PFX} names ${quotePath(path)}, which is not a PKCS#12 (.pfx) file. ${fix}`,
    { cause, variable: PFX },
  );
}

type Damage =
  | Exclude<PfxShape, { kind: 'whole' | 'not-pkcs12' }>
  | { kind: 'integrity'; password: string | undefined };

function damaged(path: string, damage: Damage, cause?: unknown): TlsError {
  return new TlsError(
    'TESSERA_TLS_PFX_DAMAGED',
    `${PFX} names ${quotePath(path)}, which is damaged or truncated: ${damageDescription(damage)}. ` +
      `Copy the file again from the original (in binary mode, and completely), or export the client certificate again.`,
    { cause, variable: PFX },
  );
}

function damageDescription(damage: Damage): string {
  switch (damage.kind) {
    case 'truncated':
      if (damage.size === 0) return 'it is empty (0 bytes)';
      return damage.expectedSize === undefined
        ? `it ends after ${damage.size} bytes, inside its first header`
        : `it ends after ${damage.size} of the ${damage.expectedSize} bytes its header announces`;
    case 'damaged':
      return `its structure is broken at byte ${damage.offset} (an element does not fit in the one that holds it)`;
    case 'integrity':
      return (
        `${damage.password ? `${PASSWORD} decrypts it` : 'it decrypts without a password'}, ` +
        'but its integrity check (MAC) fails, so bytes changed after it was exported'
      );
  }
}

function unsupported(path: string, cause: unknown): TlsError {
  const detail = cause instanceof Error ? ` (${cause.message})` : '';
  return new TlsError(
    'TESSERA_TLS_PFX_UNSUPPORTED',
    `${PFX} names ${quotePath(path)}, a PKCS#12 file whose content this server cannot use${detail}. ` +
      `Export the certificate again with AES-256 encryption (Windows: "AES256-SHA256"; OpenSSL 3: openssl pkcs12 -export).`,
    { cause, variable: PFX },
  );
}
