/**
 * The `SERedis_*` environment variables that name the certificate material, with the
 * names StackExchange.Redis gives them. They are read once, when the material is
 * created; the files they name are re-read whenever they change.
 */

export const TLS_VARIABLES = {
  /** PKCS#12 file with the client certificate and its key. Mandatory when SSL is on. */
  pfxPath: 'SERedis_ClientCertPfxPath',
  /** Password of the PFX file (or of an encrypted PEM key). Never shown. */
  password: 'SERedis_ClientCertPassword',
  /** X509KeyStorageFlags, as an integer 0–63 or flag names. */
  storageFlags: 'SERedis_ClientCertStorageFlags',
  /** CA certificate(s) trusted, in addition to the default roots, to verify the Redis server. */
  issuerPath: 'SERedis_IssuerCertPath',
  /** Extension: a PEM client certificate (optionally followed by its chain). */
  pemCertPath: 'SERedis_ClientCertPemPath',
  /** Extension: the PEM private key of that certificate (the name is StackExchange.Redis's). */
  pemKeyPath: 'SERedis_ClientCertPasswordPath',
} as const;

export type TlsVariableKey = keyof typeof TLS_VARIABLES;
export type TlsVariableName = (typeof TLS_VARIABLES)[TlsVariableKey];

/** The order in which variables are shown. */
export const TLS_VARIABLE_KEYS = [
  'pfxPath',
  'password',
  'storageFlags',
  'issuerPath',
  'pemCertPath',
  'pemKeyPath',
] as const satisfies readonly TlsVariableKey[];

/** Where the variables are read from: `process.env` or any record of the same shape. */
export type TlsEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * The raw values. A path or flags variable set to the empty string counts as unset;
 * the password keeps the difference between unset and empty, for messages only
 * (both mean "no password" and both forms of an empty password are tried).
 */
export type TlsVariables = { readonly [K in TlsVariableKey]: string | undefined };

export function readTlsVariables(env: TlsEnvironment): TlsVariables {
  const read = (key: TlsVariableKey): string | undefined => {
    const value = env[TLS_VARIABLES[key]];
    if (key === 'password') return value;
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  return Object.freeze({
    pfxPath: read('pfxPath'),
    password: read('password'),
    storageFlags: read('storageFlags'),
    issuerPath: read('issuerPath'),
    pemCertPath: read('pemCertPath'),
    pemKeyPath: read('pemKeyPath'),
  });
}

/** The password candidates to try: the one set, or both forms of "no password". */
export function passwordCandidates(password: string | undefined): readonly (string | undefined)[] {
  return password ? [password] : ['', undefined];
}
