/**
 * Redis over mutual TLS with the test PKI, as a front-end server reaches it: a
 * connection string (`ssl=true`) and the `SERedis_*` variables naming the client
 * certificate and the issuer. The server presents `pki.server` (names localhost,
 * redis.test, 127.0.0.1) and requires a client certificate issued by the test CA.
 */
import { createPki, PFX_PASSWORD, type Pki } from './pki.ts';
import {
  type RedisCluster,
  type RedisServer,
  type RedisServerOptions,
  startRedisCluster,
  startRedisServer,
} from './redis-server.ts';

/** The variables a front-end server sets for the test PKI's client certificate. */
export type TlsRedisEnv = Readonly<Record<string, string>>;

export interface TlsRedisTarget {
  /** StackExchange.Redis syntax, `ssl=true`, every host listed. */
  readonly connectionString: string;
  /** `SERedis_ClientCertPfxPath`, `SERedis_ClientCertPassword`, `SERedis_IssuerCertPath`. */
  readonly env: TlsRedisEnv;
  readonly pki: Pki;
  stop(): Promise<void>;
}

export interface TlsRedisServer extends TlsRedisTarget {
  readonly server: RedisServer;
}

export interface TlsRedisCluster extends TlsRedisTarget {
  readonly cluster: RedisCluster;
}

export interface TlsRedisOptions {
  /** Extra `redis-server` arguments (e.g. persistence). */
  readonly extraArgs?: readonly string[];
  /** `password=` of the connection string and the server's `requirepass`. */
  readonly password?: string;
  /** Appended to the connection string (e.g. `connectTimeout=2000`). */
  readonly connectionOptions?: string;
}

export type TlsRedisClusterOptions = Omit<TlsRedisOptions, 'password'>;

/** The `SERedis_*` variables for the test PKI's client certificate (AES PKCS#12 with a password). */
export function tlsRedisEnv(pki: Pki): TlsRedisEnv {
  return {
    SERedis_ClientCertPfxPath: pki.pfx.aes,
    SERedis_ClientCertPassword: PFX_PASSWORD,
    SERedis_IssuerCertPath: pki.issuerPem,
  };
}

function serverTls(pki: Pki): NonNullable<RedisServerOptions['tls']> {
  return { cert: pki.server.chain, key: pki.server.key, caCert: pki.issuerBundle };
}

function connectionString(
  hosts: readonly RedisServer[],
  options: TlsRedisOptions & { readonly sslHost?: string },
): string {
  const parts = [...hosts.map((node) => `127.0.0.1:${node.tlsPort}`), 'ssl=true'];
  if (options.sslHost !== undefined) parts.push(`sslHost=${options.sslHost}`);
  if (options.password !== undefined) parts.push(`password=${options.password}`);
  if (options.connectionOptions) parts.push(options.connectionOptions);
  return parts.join(',');
}

/** One `redis-server` that accepts only TLS clients with a certificate of the test CA; SSL Host `redis.test`. */
export async function startTlsRedis(options: TlsRedisOptions = {}): Promise<TlsRedisServer> {
  const pki = await createPki();
  const server = await startRedisServer({
    tls: serverTls(pki),
    ...(options.password !== undefined ? { requirepass: options.password } : {}),
    ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
  });
  return {
    server,
    pki,
    connectionString: connectionString([server], { ...options, sslHost: 'redis.test' }),
    env: tlsRedisEnv(pki),
    stop: () => server.stop(),
  };
}

/**
 * A Redis Cluster of three primaries, every node (and the cluster bus) over mutual
 * TLS. No SSL Host: each node's certificate is checked against the address the
 * cluster announces for it (127.0.0.1).
 */
export async function startTlsRedisCluster(options: TlsRedisClusterOptions = {}): Promise<TlsRedisCluster> {
  const pki = await createPki();
  const cluster = await startRedisCluster({
    tls: serverTls(pki),
    ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
  });
  return {
    cluster,
    pki,
    connectionString: connectionString(cluster.nodes, options),
    env: tlsRedisEnv(pki),
    stop: () => cluster.stop(),
  };
}
