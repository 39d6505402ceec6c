/**
 * A throwaway PKI for tests, generated with the `openssl` CLI into a fresh temporary
 * folder that is removed when the process exits. Generated once per process:
 * every `createPki()` call returns the same promise.
 *
 *   Tessera Test Root CA ── Tessera Test Intermediate CA ── server*, client*
 *   Other Test CA ── serverOtherCa, clientOtherCa
 *
 * Every path is absolute.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The password of every PFX file that has one. The comma and the space catch quoting bugs. */
export const PFX_PASSWORD = 'S3cret,pfx pass';

export interface CertAndKey {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM private key (PKCS#8, unencrypted). */
  readonly key: string;
}

export interface ServerCert extends CertAndKey {
  /** PEM with the leaf then its issuer: what redis-server's `tls-cert-file` gets. */
  readonly chain: string;
}

export const PFX_VARIANTS = [
  'aes',
  'aesNoPassword',
  'tripleDes',
  'rc2',
  'rc2NoPassword',
  'ec',
  'ecRc2',
  'noKey',
  'otherCa',
  'expiringSoon',
  'expired',
  'notYetValid',
  'noCertificate',
  'rc4',
] as const;
export type PfxVariant = (typeof PFX_VARIANTS)[number];

export interface Pki {
  readonly dir: string;
  readonly rootCa: CertAndKey & { readonly der: string };
  /** Signed by the root, CA:TRUE. Issues every server and client certificate but the "other CA" ones. */
  readonly intermediateCa: CertAndKey;
  /** An unrelated root CA, "Other Test CA". */
  readonly otherCa: CertAndKey;
  /** The root CA as PEM. */
  readonly issuerPem: string;
  /** The root CA as DER (`.cer`). */
  readonly issuerDer: string;
  /** PEM with the intermediate then the root. */
  readonly issuerBundle: string;

  /** SAN localhost, redis.test, 127.0.0.1, ::1; EKU serverAuth + clientAuth. Every server certificate has this one's key. */
  readonly server: ServerCert;
  /** SAN wrong.example only. */
  readonly serverWrongName: ServerCert;
  /** notAfter yesterday. */
  readonly serverExpired: ServerCert;
  /** notBefore in a year. */
  readonly serverNotYetValid: ServerCert;
  /** Same names as `server`, issued by the other CA. */
  readonly serverOtherCa: ServerCert;
  /** Same names as `server`, EKU clientAuth only. */
  readonly serverClientAuthOnly: ServerCert;

  /** RSA, CN tessera-frontend-1. */
  readonly client: CertAndKey;
  /** EC P-256, CN tessera-frontend-ec. */
  readonly clientEc: CertAndKey;
  /** Issued by the other CA, CN tessera-frontend-other (the key of `client`). */
  readonly clientOtherCa: CertAndKey;
  /** Valid for 10 more days, CN tessera-frontend-soon (the key of `client`). */
  readonly clientExpiringSoon: CertAndKey;
  /** Expired yesterday, CN tessera-frontend-expired (the key of `client`). */
  readonly clientExpired: CertAndKey;
  /** Valid from next year, CN tessera-frontend-future (the key of `client`). */
  readonly clientNotYetValid: CertAndKey;
  /** Same as `client.cert` and `client.key`. */
  readonly clientPem: string;
  readonly clientKeyPem: string;

  /**
   * PKCS#12 files, each with the client certificate, its key and the intermediate CA as
   * extra certificate, password PFX_PASSWORD, unless the name says otherwise:
   * `aes` (AES-256-CBC/PBKDF2, OpenSSL 3 default), `aesNoPassword` (empty password),
   * `tripleDes` (PBE-SHA1-3DES), `rc2` / `rc2NoPassword` (legacy PBE-SHA1-RC2-40),
   * `ec` / `ecRc2` (clientEc), `noKey` (certificates only), `otherCa` (clientOtherCa),
   * `expiringSoon`, `expired`, `notYetValid` (clientExpiringSoon, clientExpired, clientNotYetValid),
   * `noCertificate` (the key only), `rc4` (legacy PBE-SHA1-RC4-128, which neither Node nor
   * node-forge reads).
   */
  readonly pfx: Readonly<Record<PfxVariant, string>>;
  /** Random bytes in a file named `.pfx`. */
  readonly notAPfx: string;
}

let pending: Promise<Pki> | undefined;

/** The process's PKI, generated on the first call. */
export function createPki(): Promise<Pki> {
  pending ??= generate();
  return pending;
}

const MINIMAL_REQ_CONFIG = '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n';
const CA_EXTENSIONS = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
const SERVER_NAMES = 'subjectAltName=DNS:localhost,DNS:redis.test,IP:127.0.0.1,IP:::1';

async function generate(): Promise<Pki> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pki-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });

  // A config without the distribution's default extensions (`v3_ca`), so that
  // every extension of a certificate is the one asked for here.
  const reqConfig = path('req.cnf');
  const configReady = writeFile(reqConfig, MINIMAL_REQ_CONFIG);

  const rsaKey = async (name: string) => {
    await openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', path(name));
    return path(name);
  };
  const ecKey = async (name: string) => {
    await openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path(name));
    return path(name);
  };

  interface Issuer {
    readonly cert: string;
    readonly key: string;
  }
  /** A certificate valid from now for `days`, signed by `issuer` (self-signed when absent). */
  const certificate = async (
    name: string,
    keyFile: Promise<string>,
    subject: string,
    extensions: readonly string[],
    issuer?: Promise<Issuer>,
    days = 825,
  ): Promise<CertAndKey> => {
    const [key, signer] = await Promise.all([keyFile, issuer, configReady]);
    const signing = signer ? ['-CA', signer.cert, '-CAkey', signer.key] : [];
    const ext = extensions.flatMap((e) => ['-addext', e]);
    const cert = path(`${name}.pem`);
    await openssl(
      'req',
      '-new',
      '-x509',
      '-config',
      reqConfig,
      '-key',
      key,
      '-subj',
      subject,
      ...signing,
      '-days',
      String(days),
      ...ext,
      '-out',
      cert,
    );
    return { cert, key };
  };

  /**
   * `openssl req -x509` takes only a positive number of days from now, so certificates
   * with dates elsewhere go through `openssl ca`, each with its own little database.
   */
  const datedCertificate = async (
    name: string,
    keyFile: Promise<string>,
    subject: string,
    extensions: readonly string[],
    issuer: Promise<Issuer>,
    notBefore: Date,
    notAfter: Date,
  ): Promise<CertAndKey> => {
    const [key, signer] = await Promise.all([keyFile, issuer, configReady]);
    const db = path(`${name}-ca`);
    await mkdir(db);
    await writeFile(join(db, 'index.txt'), '');
    const config = join(db, 'ca.cnf');
    await writeFile(
      config,
      [
        '[ca]',
        'default_ca = dated',
        '[dated]',
        `database = ${join(db, 'index.txt')}`,
        `new_certs_dir = ${db}`,
        `certificate = ${signer.cert}`,
        `private_key = ${signer.key}`,
        'rand_serial = yes',
        'default_md = sha256',
        'policy = any',
        'unique_subject = no',
        'email_in_dn = no',
        'x509_extensions = leaf',
        '[any]',
        'commonName = supplied',
        'organizationName = optional',
        '[leaf]',
        ...extensions,
        '',
      ].join('\n'),
    );
    const csr = join(db, 'request.csr');
    await openssl('req', '-new', '-config', reqConfig, '-key', key, '-subj', subject, '-out', csr);
    const cert = path(`${name}.pem`);
    await openssl(
      'ca',
      '-batch',
      '-notext',
      '-config',
      config,
      '-startdate',
      asn1Time(notBefore),
      '-enddate',
      asn1Time(notAfter),
      '-in',
      csr,
      '-out',
      cert,
    );
    return { cert, key };
  };

  const concat = async (name: string, parts: readonly Promise<string>[]) => {
    const files = await Promise.all(parts);
    const pems = await Promise.all(files.map((f) => readFile(f, 'utf8')));
    await writeFile(path(name), pems.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join(''));
    return path(name);
  };
  const withChain = async (leaf: Promise<CertAndKey>, issuer: Promise<Issuer>): Promise<ServerCert> => {
    const l = await leaf;
    const chain = await concat(`${basename(l.cert, '.pem')}-chain.pem`, [
      Promise.resolve(l.cert),
      issuer.then((i) => i.cert),
    ]);
    return { ...l, chain };
  };

  // Keys first, all at once. RSA key generation is most of the time spent here, so the
  // client certificates share one key, and the server certificates another.
  const rootKey = rsaKey('root-ca.key');
  const intermediateKey = rsaKey('intermediate-ca.key');
  const otherKey = rsaKey('other-ca.key');
  const serverKey = rsaKey('server.key');
  const clientKey = rsaKey('client.key');
  const clientEcKey = ecKey('client-ec.key');

  const rootCa = certificate(
    'root-ca',
    rootKey,
    '/CN=Tessera Test Root CA/O=Tessera Tests',
    CA_EXTENSIONS,
    undefined,
    3650,
  );
  const otherCa = certificate(
    'other-ca',
    otherKey,
    '/CN=Other Test CA/O=Elsewhere',
    CA_EXTENSIONS,
    undefined,
    3650,
  );
  const intermediateCa = certificate(
    'intermediate-ca',
    intermediateKey,
    '/CN=Tessera Test Intermediate CA/O=Tessera Tests',
    ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign'],
    rootCa,
    1825,
  );

  const leaf = (usage: string, keyUsage = 'keyUsage=critical,digitalSignature,keyEncipherment') => [
    'basicConstraints=critical,CA:FALSE',
    keyUsage,
    `extendedKeyUsage=${usage}`,
  ];
  const serverExt = [...leaf('serverAuth,clientAuth'), SERVER_NAMES];
  const clientExt = leaf('clientAuth');
  const serverSubject = '/CN=redis.test/O=Tessera Tests';
  const day = 86_400_000;

  const server = withChain(
    certificate('server', serverKey, serverSubject, serverExt, intermediateCa),
    intermediateCa,
  );
  const serverWrongName = withChain(
    certificate(
      'server-wrong-name',
      serverKey,
      '/CN=wrong.example/O=Tessera Tests',
      [...leaf('serverAuth,clientAuth'), 'subjectAltName=DNS:wrong.example'],
      intermediateCa,
    ),
    intermediateCa,
  );
  const serverExpired = withChain(
    datedCertificate(
      'server-expired',
      serverKey,
      serverSubject,
      serverExt,
      intermediateCa,
      new Date(Date.now() - 30 * day),
      new Date(Date.now() - day),
    ),
    intermediateCa,
  );
  const serverNotYetValid = withChain(
    datedCertificate(
      'server-not-yet-valid',
      serverKey,
      serverSubject,
      serverExt,
      intermediateCa,
      new Date(Date.now() + 365 * day),
      new Date(Date.now() + 730 * day),
    ),
    intermediateCa,
  );
  const serverOtherCa = withChain(
    certificate('server-other-ca', serverKey, serverSubject, serverExt, otherCa),
    otherCa,
  );
  const serverClientAuthOnly = withChain(
    certificate(
      'server-client-auth-only',
      serverKey,
      serverSubject,
      [...leaf('clientAuth'), SERVER_NAMES],
      intermediateCa,
    ),
    intermediateCa,
  );

  const client = certificate(
    'client',
    clientKey,
    '/CN=tessera-frontend-1/O=Tessera Tests',
    clientExt,
    intermediateCa,
  );
  const clientEc = certificate(
    'client-ec',
    clientEcKey,
    '/CN=tessera-frontend-ec/O=Tessera Tests',
    leaf('clientAuth', 'keyUsage=critical,digitalSignature'),
    intermediateCa,
  );
  const clientOtherCa = certificate(
    'client-other-ca',
    clientKey,
    '/CN=tessera-frontend-other/O=Elsewhere',
    clientExt,
    otherCa,
  );
  const clientExpiringSoon = certificate(
    'client-expiring-soon',
    clientKey,
    '/CN=tessera-frontend-soon/O=Tessera Tests',
    clientExt,
    intermediateCa,
    10,
  );

  const clientExpired = datedCertificate(
    'client-expired',
    clientKey,
    '/CN=tessera-frontend-expired/O=Tessera Tests',
    clientExt,
    intermediateCa,
    new Date(Date.now() - 30 * day),
    new Date(Date.now() - day),
  );
  const clientNotYetValid = datedCertificate(
    'client-not-yet-valid',
    clientKey,
    '/CN=tessera-frontend-future/O=Tessera Tests',
    clientExt,
    intermediateCa,
    new Date(Date.now() + 365 * day),
    new Date(Date.now() + 730 * day),
  );

  const rootDer = rootCa.then(async (ca) => {
    await openssl('x509', '-in', ca.cert, '-outform', 'DER', '-out', path('root-ca.cer'));
    return path('root-ca.cer');
  });
  const issuerBundle = concat('issuer-bundle.pem', [
    intermediateCa.then((c) => c.cert),
    rootCa.then((c) => c.cert),
  ]);

  const LEGACY_RC2 = ['-legacy', '-certpbe', 'PBE-SHA1-RC2-40', '-keypbe', 'PBE-SHA1-RC2-40'];
  const pfxFile = async (
    name: string,
    identity: Promise<CertAndKey>,
    options: {
      password?: string;
      algorithms?: readonly string[];
      noKey?: boolean;
      noCertificate?: boolean;
    } = {},
  ) => {
    const [id, extra] = await Promise.all([identity, intermediateCa]);
    const out = path(`${name}.pfx`);
    const certificates = options.noCertificate ? ['-nocerts'] : ['-in', id.cert, '-certfile', extra.cert];
    await openssl(
      'pkcs12',
      '-export',
      ...certificates,
      ...(options.noKey ? ['-nokeys'] : ['-inkey', id.key]),
      '-name',
      name,
      '-passout',
      `pass:${options.password ?? PFX_PASSWORD}`,
      ...(options.algorithms ?? []),
      '-out',
      out,
    );
    return out;
  };
  const pfxFiles: Record<PfxVariant, Promise<string>> = {
    aes: pfxFile('client-aes', client),
    aesNoPassword: pfxFile('client-aes-no-password', client, { password: '' }),
    tripleDes: pfxFile('client-3des', client, {
      algorithms: ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES'],
    }),
    rc2: pfxFile('client-rc2', client, { algorithms: LEGACY_RC2 }),
    rc2NoPassword: pfxFile('client-rc2-no-password', client, { password: '', algorithms: LEGACY_RC2 }),
    ec: pfxFile('client-ec', clientEc),
    ecRc2: pfxFile('client-ec-rc2', clientEc, { algorithms: LEGACY_RC2 }),
    noKey: pfxFile('client-no-key', client, { noKey: true }),
    otherCa: pfxFile('client-other-ca', clientOtherCa),
    expiringSoon: pfxFile('client-expiring-soon', clientExpiringSoon),
    expired: pfxFile('client-expired', clientExpired),
    notYetValid: pfxFile('client-not-yet-valid', clientNotYetValid),
    noCertificate: pfxFile('client-key-only', client, { noCertificate: true }),
    rc4: pfxFile('client-rc4', client, {
      algorithms: ['-legacy', '-certpbe', 'PBE-SHA1-RC4-128', '-keypbe', 'PBE-SHA1-RC4-128'],
    }),
  };
  const notAPfx = writeFile(path('not-a-pfx.pfx'), randomBytes(2048)).then(() => path('not-a-pfx.pfx'));

  // One await for everything, so that a failure anywhere is reported once, as the rejection.
  const [root, der, pfx, c, rest] = await Promise.all([
    rootCa,
    rootDer,
    settle(pfxFiles),
    client,
    settle({
      intermediateCa,
      otherCa,
      issuerBundle,
      server,
      serverWrongName,
      serverExpired,
      serverNotYetValid,
      serverOtherCa,
      serverClientAuthOnly,
      clientEc,
      clientOtherCa,
      clientExpiringSoon,
      clientExpired,
      clientNotYetValid,
      notAPfx,
    }),
  ]);
  return {
    dir,
    rootCa: { ...root, der },
    issuerPem: root.cert,
    issuerDer: der,
    client: c,
    clientPem: c.cert,
    clientKeyPem: c.key,
    pfx,
    ...rest,
  };
}

/** Awaits every promise of a record. */
async function settle<T extends Record<string, Promise<unknown>>>(
  promises: T,
): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
  const entries = await Promise.all(Object.entries(promises).map(async ([k, v]) => [k, await v] as const));
  return Object.fromEntries(entries) as { [K in keyof T]: Awaited<T[K]> };
}

/** `YYYYMMDDHHMMSSZ`, the form `openssl ca -startdate/-enddate` takes. */
function asn1Time(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}
