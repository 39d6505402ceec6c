/**
 * Test Connection: checks a Redis session store the way the front-end servers will
 * use it, step by step and for every host, and says what to do about the first
 * thing that is wrong on each.
 *
 * Order: the connection string; the certificate material; then for each host name
 * resolution, TCP, the TLS handshake, whether the server accepted the client
 * certificate, authentication, PING, the server version, the role or cluster
 * state, a write/read/expire/delete of a test key, and latency; last, the topology
 * the platform's client makes of all hosts together. A host's checks stop at its
 * first failure (what follows would only repeat it); the other hosts are still
 * checked.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { PeerCertificate } from 'node:tls';
import { createClient } from '@redis/client';
import { hasErrorCode, TesseraError } from '../errors.ts';
import type { TlsMaterial } from '../tls/index.ts';
import { connectRedis } from './client.ts';
import { ClientFactory, materialFor } from './client-factory.ts';
import {
  commandTimeoutMs,
  describeNoEffectOptions,
  formatEndpoint,
  parseConnectionString,
  type RedisConnectionSettings,
  type RedisEndpoint,
  redactConnectionString,
} from './connection-string.ts';
import { RedisError } from './errors.ts';
import { certificateNames, explainRedisError, tlsNotEnabled } from './explain-error.ts';
import { majorVersion, parseInfo } from './info.ts';
import { plainPingProbe, resolveHost, speaksTls, tcpProbe, tlsProbe } from './probe.ts';
import { keyInSlots, slotRangesOf } from './slots.ts';

/** Keys Test Connection writes start with this prefix; they expire within seconds anyway. */
export const TEST_KEY_PREFIX = '__tessera:test-connection:';
const LATENCY_PINGS = 20;
const EXPIRY_WARNING_DAYS = 30;

export interface Check {
  /** `host:port`, or null for the checks that concern every host. */
  readonly host: string | null;
  readonly name: string;
  readonly ok: boolean;
  /** What was found; for a failure, what is wrong and what to do. */
  readonly detail: string;
  readonly ms: number;
  /** The error code of a failure. */
  readonly code?: string;
}

export interface TestConnectionReport {
  readonly ok: boolean;
  readonly checks: readonly Check[];
  /** The first failure's detail, or null. */
  readonly problem: string | null;
  /**
   * `input` when the connection string or a `SERedis_*` variable is wrong (exit 2),
   * `check` when a check of a server failed (exit 1), null when all passed.
   */
  readonly failure: 'input' | 'check' | null;
}

export interface TestConnectionOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Called as each check completes, for live display. */
  readonly onCheck?: (check: Check) => void;
}

/** Runs every check; never throws for a problem it can name. */
export async function runTestConnection(
  connectionString: string,
  options: TestConnectionOptions = {},
): Promise<TestConnectionReport> {
  const checks: Check[] = [];
  const record = (check: Check) => {
    checks.push(check);
    options.onCheck?.(check);
    return check;
  };
  const finish = (failure: TestConnectionReport['failure']): TestConnectionReport => {
    const first = checks.find((check) => !check.ok);
    return { ok: !first, checks, problem: first?.detail ?? null, failure: first ? failure : null };
  };

  const parsed = await timed(null, 'connection string', async () => {
    const settings = parseConnectionString(connectionString);
    const noEffect = describeNoEffectOptions(settings.noEffect);
    const note = noEffect.length > 0 ? `; note: accepted, no effect here: ${noEffect.join('; ')}` : '';
    return { value: settings, detail: `${redactConnectionString(settings)}${note}` };
  });
  record(parsed.check);
  if (!parsed.value) return finish('input');
  const settings = parsed.value;

  let material: TlsMaterial | undefined;
  if (settings.ssl) {
    const loaded = await timed(null, 'certificate material', async () => {
      const candidate = materialFor(settings, options.env);
      candidate.secureContext();
      return { value: candidate, detail: describeMaterial(candidate) };
    });
    record(loaded.check);
    if (!loaded.value) return finish('input');
    material = loaded.value;
  }

  const factory = new ClientFactory(settings, material);
  for (const endpoint of settings.endpoints) {
    await checkHost(factory, endpoint, record);
  }
  if (checks.every((check) => check.ok)) {
    const topology = await timed(null, 'topology', async () => {
      const connection = await connectRedis(settings, {
        ...(material ? { material } : {}),
        env: options.env ?? process.env,
      });
      await connection.close();
      return { value: true, detail: describeTopology(settings, connection.topology) };
    });
    record(topology.check);
  }
  return finish('check');
}

type Recorder = (check: Check) => Check;

async function checkHost(factory: ClientFactory, endpoint: RedisEndpoint, record: Recorder): Promise<void> {
  const { settings } = factory;
  const host = formatEndpoint(endpoint);
  const context = factory.errorContext(endpoint);
  const step = async <T>(name: string, run: () => Promise<{ value: T; detail: string }>) => {
    const result = await timed(host, name, async () => {
      try {
        return await run();
      } catch (error) {
        throw explainRedisError(error, {
          ...context,
          peerCertificate: (error as { peerCertificate?: PeerCertificate }).peerCertificate,
        });
      }
    });
    record(result.check);
    return result.value;
  };

  const addresses = await step('name resolution', async () => {
    const found = await resolveHost(endpoint.host);
    return { value: found, detail: `${endpoint.host} → ${found.join(', ')}` };
  });
  if (!addresses) return;
  if (
    !(await step('TCP', async () => {
      await tcpProbe(endpoint, settings.connectTimeoutMs);
      return { value: true, detail: `port ${endpoint.port} accepts connections` };
    }))
  )
    return;

  if (settings.ssl) {
    let handshake: { protocol: string; peer: PeerCertificate } | undefined;
    const probe = tlsProbe(
      endpoint,
      factory.tlsOptions(endpoint.host),
      settings.connectTimeoutMs,
      (protocol, peer) => {
        handshake = { protocol, peer };
      },
    );
    const handshaken = await step('TLS handshake', async () => {
      try {
        await probe;
      } catch (error) {
        if (handshake)
          return { value: handshake, detail: describeServerCertificate(handshake.protocol, handshake.peer) };
        throw await plainTextInstead(endpoint, error);
      }
      return { value: handshake!, detail: describeServerCertificate(handshake!.protocol, handshake!.peer) };
    });
    if (!handshaken) return;
    const accepted = await step('client certificate accepted', async () => {
      const { reply } = await probe;
      return { value: true, detail: `the server answered after the handshake (${reply.split(' ')[0]})` };
    });
    if (!accepted) return;
  } else {
    const answered = await step('plain-text connection', async () => {
      try {
        const reply = await plainPingProbe(endpoint, commandTimeoutMs(settings));
        return { value: true, detail: `the server answered in plain text (${reply.split(' ')[0]})` };
      } catch (error) {
        if (await speaksTls(endpoint, settings.connectTimeoutMs)) {
          throw new RedisError(
            'TESSERA_REDIS_TLS_REQUIRED',
            `${host} speaks TLS, but the connection string has no ssl=true. Enable Use SSL (ssl=true) and set SERedis_ClientCertPfxPath, or use the server's plain port.`,
            { cause: error },
          );
        }
        throw error;
      }
    });
    if (!answered) return;
  }

  const client = createClient(factory.clientOptions(endpoint));
  client.on('error', () => {
    // Each failure is reported by the step that meets it.
  });
  try {
    const authenticated = await step('authentication', async () => {
      await client.connect();
      const who = settings.user ?? 'default';
      return {
        value: true,
        detail: settings.password === undefined ? `no password; user "${who}"` : `accepted for user "${who}"`,
      };
    });
    if (!authenticated) return;
    if (
      !(await step('PING', async () => ({ value: true, detail: String(await client.sendCommand(['PING'])) })))
    )
      return;
    const info = await step('server version', async () => {
      const fields = parseInfo(String(await client.sendCommand(['INFO'])));
      const version = fields.redis_version ?? 'unknown';
      if (!(majorVersion(fields) >= 6)) {
        throw new RedisError(
          'TESSERA_REDIS_VERSION',
          `${host} runs Redis ${version}; Tessera needs Redis 6 or newer (TLS and ACLs arrived in 6.0). Upgrade the Redis server.`,
        );
      }
      return {
        value: fields,
        detail: `Redis ${version}${settings.ssl ? ', TLS in use' : ', TLS not in use'}`,
      };
    });
    if (!info) return;
    const role = await step(info.cluster_enabled === '1' ? 'cluster state' : 'role', () =>
      checkRole(client, info, host),
    );
    if (!role) return;
    const written = await step('write, read, expire, delete', () => checkKeyCycle(client, role));
    if (!written) return;
    await step('latency', () => checkLatency(client));
  } finally {
    client.destroy();
  }
}

type Client = ReturnType<typeof createClient>;

/**
 * A plain-text port answers a TLS ClientHello with an error, or not at all (Redis
 * waits for the end of what it takes for an inline command). When the handshake
 * fails that way and the port answers a plain PING, TLS is simply not enabled there.
 */
async function plainTextInstead(endpoint: RedisEndpoint, error: unknown): Promise<unknown> {
  const cutShort = [
    'TESSERA_REDIS_TIMEOUT',
    'TESSERA_REDIS_CONNECTION_CLOSED',
    'ECONNRESET',
    'ERR_SSL_WRONG_VERSION_NUMBER',
  ];
  if (!cutShort.some((code) => hasErrorCode(error, code))) return error;
  try {
    const reply = await plainPingProbe(endpoint, 1000);
    if (/^[+-]/.test(reply)) return tlsNotEnabled({ address: formatEndpoint(endpoint), ssl: true }, error);
  } catch {
    // Not a plain-text Redis either: the original error says more.
  }
  return error;
}

type Role = { readonly kind: 'cluster' | 'replica' | 'primary'; readonly nodes?: string };

async function checkRole(
  client: Client,
  info: Record<string, string>,
  host: string,
): Promise<{ value: Role; detail: string }> {
  if (info.cluster_enabled === '1') {
    const cluster = parseInfo(String(await client.sendCommand(['CLUSTER', 'INFO'])));
    const covered = Number(cluster.cluster_slots_ok ?? 0);
    if (cluster.cluster_state !== 'ok' || covered !== 16384) {
      throw new RedisError(
        'TESSERA_REDIS_CLUSTER_DOWN',
        `The cluster that ${host} belongs to is ${cluster.cluster_state ?? 'in an unknown state'}: ${covered} of 16384 slots are served. Assign every slot (redis-cli --cluster fix) before sessions use it.`,
      );
    }
    const nodes = String(await client.sendCommand(['CLUSTER', 'NODES']));
    return {
      value: { kind: 'cluster', nodes },
      detail: `cluster ok, all 16384 slots covered (${cluster.cluster_known_nodes} nodes)`,
    };
  }
  if (info.role === 'slave') {
    return {
      value: { kind: 'replica' },
      detail: `replica of ${info.master_host}:${info.master_port} (link ${info.master_link_status})`,
    };
  }
  return { value: { kind: 'primary' }, detail: `primary with ${info.connected_slaves ?? 0} replica(s)` };
}

async function checkKeyCycle(client: Client, role: Role) {
  if (role.kind === 'replica')
    return { value: true, detail: 'skipped: a replica takes no writes; the primary is checked' };
  const token = randomBytes(8).toString('hex');
  const tag = role.kind === 'cluster' ? `{${keyInSlots(slotRangesOf(role.nodes ?? ''))}}` : '';
  const key = `${TEST_KEY_PREFIX}${tag}${token}`;
  await client.sendCommand(['SET', key, token, 'PX', '10000']);
  const read = String(await client.sendCommand(['GET', key]));
  const ttl = Number(await client.sendCommand(['PTTL', key]));
  const deleted = Number(await client.sendCommand(['DEL', key]));
  if (read !== token || !(ttl > 0) || deleted !== 1) {
    throw new RedisError(
      'TESSERA_REDIS_UNEXPECTED',
      `The test key ${key} did not round-trip (read ${read === token ? 'ok' : 'a different value'}, ttl ${ttl}, deleted ${deleted}). Another client may be changing keys under ${TEST_KEY_PREFIX}; check maxmemory-policy too.`,
    );
  }
  return {
    value: true,
    detail: `${key.slice(0, TEST_KEY_PREFIX.length)}… written, read back, expiring, deleted`,
  };
}

async function checkLatency(client: Client) {
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_PINGS; i++) {
    const start = performance.now();
    await client.sendCommand(['PING']);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)]!;
  return {
    value: true,
    detail: `p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms over ${LATENCY_PINGS} PINGs`,
  };
}

async function timed<T>(
  host: string | null,
  name: string,
  run: () => Promise<{ value: T; detail: string }>,
): Promise<{ check: Check; value: T | undefined }> {
  const start = performance.now();
  try {
    const { value, detail } = await run();
    return { check: { host, name, ok: true, detail, ms: elapsed(start) }, value };
  } catch (error) {
    const known = error instanceof TesseraError;
    const detail = known ? error.message : `${name} failed: ${(error as Error)?.message ?? String(error)}`;
    return {
      check: { host, name, ok: false, detail, ms: elapsed(start), ...(known ? { code: error.code } : {}) },
      value: undefined,
    };
  }
}

function elapsed(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

function describeServerCertificate(protocol: string, peer: PeerCertificate): string {
  const validTo = new Date(peer.valid_to);
  const days = Math.floor((validTo.getTime() - Date.now()) / 86_400_000);
  const warning = days < EXPIRY_WARNING_DAYS ? ` — warning: it expires in ${days} day(s); renew it soon` : '';
  const issuer = peer.issuer?.CN ?? Object.values(peer.issuer ?? {}).join(', ');
  return `${protocol}, server certificate CN=${peer.subject?.CN ?? '?'} for ${certificateNames(peer).join(', ')}, issued by ${issuer}, valid until ${validTo.toISOString().slice(0, 10)} (${days} days)${warning}`;
}

/** The client certificate and the other variables in one line: subject, expiry, key, flags, issuers. */
function describeMaterial(material: TlsMaterial): string {
  const report = material.report();
  const parts: string[] = [];
  const cert = report.clientCertificate;
  if (cert) {
    const legacy = cert.loadedWith === 'native' ? '' : `, ${cert.loadedWith}`;
    parts.push(
      `${commonName(cert.subject)} from ${cert.path}${legacy}, issued by ${commonName(cert.issuer)}, ` +
        `valid until ${cert.validTo.slice(0, 10)} (${cert.daysLeft} days), ` +
        (cert.keyMatches ? 'private key matches' : 'private key does NOT match'),
    );
  }
  const flags = report.storageFlags;
  if (flags && flags.value !== 0) {
    parts.push(
      `storage flags ${flags.value} = ${flags.names.join(' + ')} (no effect here: the key stays in process memory)`,
    );
  }
  if (report.issuerCertificates.length > 0) {
    parts.push(
      `also trusting ${report.issuerCertificates.map((issuer) => commonName(issuer.subject)).join(', ')}`,
    );
  }
  for (const warning of report.warnings) parts.push(`warning: ${warning}`);
  return parts.join('; ');
}

function commonName(distinguishedName: string): string {
  return /CN=([^,]+)/.exec(distinguishedName)?.[1] ?? distinguishedName;
}

function describeTopology(settings: RedisConnectionSettings, topology: string): string {
  if (topology === 'cluster') return 'Redis Cluster: sessions are spread over its primaries';
  if (topology === 'primary')
    return `the primary among ${settings.endpoints.length} hosts serves the sessions`;
  return 'a single Redis server serves the sessions';
}
