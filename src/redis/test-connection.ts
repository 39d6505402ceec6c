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
import { TLS_MATERIAL_DEFAULTS, type TlsMaterial } from '../tls/index.ts';
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
import { plainPingProbe, resolveHost, speaksTls, type TlsProbe, tcpProbe, tlsProbe } from './probe.ts';
import { keyInSlots, slotRangesOf } from './slots.ts';

/** Keys Test Connection writes start with this prefix; they expire within seconds anyway. */
export const TEST_KEY_PREFIX = '__tessera:test-connection:';
const LATENCY_PINGS = 20;

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

/**
 * One check of Test Connection. `run` returns what was found (the detail shown when
 * the check passes) and throws what is wrong; it may leave what later steps need on
 * the context. Steps run in table order; the first failure ends the table.
 */
interface Step<C> {
  /** The check's name in the report; a function when it depends on what earlier steps found. */
  readonly name: string | ((context: C) => string);
  /** The step applies only when this holds (e.g. the TLS checks, with ssl=true). */
  readonly when?: (context: C) => boolean;
  run(context: C): Promise<string>;
}

/** What the checks of the connection string and the certificate material find. */
interface InputContext {
  readonly connectionString: string;
  readonly env: Readonly<Record<string, string | undefined>> | undefined;
  settings?: RedisConnectionSettings;
  material?: TlsMaterial;
}

/** What the checks of one host share: the host, then what each step found. */
interface HostContext {
  readonly factory: ClientFactory;
  readonly settings: RedisConnectionSettings;
  readonly endpoint: RedisEndpoint;
  readonly host: string;
  /** The TLS probe: its handshake (awaited by one step) and the server's reply after it (by the next). */
  tls?: TlsProbe;
  client?: Client;
  info?: Record<string, string>;
  role?: Role;
}

type Client = ReturnType<typeof createClient>;
/** Runs every check; never throws for a problem it can name. */
export async function runTestConnection(
  connectionString: string,
  options: TestConnectionOptions = {},
): Promise<TestConnectionReport> {
  const checks: Check[] = [];
  const record = (check: Check) => {
    checks.push(check);
    options.onCheck?.(check);
  };
  const finish = (failure: TestConnectionReport['failure']): TestConnectionReport => {
    const first = checks.find((check) => !check.ok);
    return { ok: !first, checks, problem: first?.detail ?? null, failure: first ? failure : null };
  };

  const input: InputContext = { connectionString, env: options.env };
  if (!(await runSteps(INPUT_STEPS, input, null, record))) return finish('input');
  const settings = found(input.settings, 'connection string');
  const { material } = input;

  const factory = new ClientFactory(settings, material);
  for (const endpoint of settings.endpoints) {
    const host: HostContext = { factory, settings, endpoint, host: formatEndpoint(endpoint) };
    const context = factory.errorContext(endpoint);
    try {
      await runSteps(HOST_STEPS, host, host.host, record, (error) =>
        explainRedisError(error, {
          ...context,
          peerCertificate: (error as { peerCertificate?: PeerCertificate }).peerCertificate,
        }),
      );
    } finally {
      host.client?.destroy();
    }
  }
  if (checks.every((check) => check.ok)) {
    await runSteps([topologyStep(material, options.env ?? process.env)], settings, null, record);
  }
  return finish('check');
}

/**
 * The one loop that runs a table of steps: times each, records it as a check,
 * stops at the first failure. Returns whether every step passed.
 */
async function runSteps<C>(
  steps: readonly Step<C>[],
  context: C,
  host: string | null,
  record: (check: Check) => void,
  explain: (error: unknown) => unknown = (error) => error,
): Promise<boolean> {
  for (const step of steps) {
    if (step.when && !step.when(context)) continue;
    const name = typeof step.name === 'function' ? step.name(context) : step.name;
    const start = performance.now();
    try {
      const detail = await step.run(context);
      record({ host, name, ok: true, detail, ms: elapsed(start) });
    } catch (thrown) {
      const error = explain(thrown);
      const known = error instanceof TesseraError;
      const detail = known ? error.message : `${name} failed: ${(error as Error)?.message ?? String(error)}`;
      record({ host, name, ok: false, detail, ms: elapsed(start), ...(known ? { code: error.code } : {}) });
      return false;
    }
  }
  return true;
}

/** What an earlier step left on the context; the table's order guarantees it is there. */
function found<T>(value: T | undefined, step: string): T {
  if (value === undefined) throw new Error(`Test Connection ran a step before "${step}"`);
  return value;
}

const INPUT_STEPS: readonly Step<InputContext>[] = [
  {
    name: 'connection string',
    async run(context) {
      const settings = parseConnectionString(context.connectionString);
      context.settings = settings;
      const noEffect = describeNoEffectOptions(settings.noEffect);
      const note = noEffect.length > 0 ? `; note: accepted, no effect here: ${noEffect.join('; ')}` : '';
      return `${redactConnectionString(settings)}${note}`;
    },
  },
  {
    name: 'certificate material',
    when: (context) => context.settings?.ssl === true,
    async run(context) {
      const material = materialFor(found(context.settings, 'connection string'), context.env);
      material.secureContext();
      context.material = material;
      return describeMaterial(material);
    },
  },
];

const HOST_STEPS: readonly Step<HostContext>[] = [
  {
    name: 'name resolution',
    async run({ endpoint }) {
      return `${endpoint.host} → ${(await resolveHost(endpoint.host)).join(', ')}`;
    },
  },
  {
    name: 'TCP',
    async run({ endpoint, settings }) {
      await tcpProbe(endpoint, settings.connectTimeoutMs);
      return `port ${endpoint.port} accepts connections`;
    },
  },
  {
    name: 'TLS handshake',
    when: ({ settings }) => settings.ssl,
    async run(context) {
      const { endpoint, settings, factory } = context;
      const probe = tlsProbe(endpoint, factory.tlsOptions(endpoint.host), settings.connectTimeoutMs);
      context.tls = probe;
      try {
        const { protocol, peerCertificate } = await probe.handshake;
        return describeServerCertificate(protocol, peerCertificate);
      } catch (error) {
        throw await plainTextInstead(endpoint, error);
      }
    },
  },
  {
    name: 'client certificate accepted',
    when: ({ settings }) => settings.ssl,
    async run({ tls }) {
      const reply = await found(tls, 'TLS handshake').reply;
      return `the server answered after the handshake (${reply.split(' ')[0]})`;
    },
  },
  {
    name: 'plain-text connection',
    when: ({ settings }) => !settings.ssl,
    async run({ endpoint, settings, host }) {
      try {
        const reply = await plainPingProbe(endpoint, commandTimeoutMs(settings));
        return `the server answered in plain text (${reply.split(' ')[0]})`;
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
    },
  },
  {
    name: 'authentication',
    async run(context) {
      const { settings, factory, endpoint } = context;
      const client = createClient(factory.clientOptions(endpoint));
      client.on('error', () => {
        // Each failure is reported by the step that meets it.
      });
      context.client = client;
      await client.connect();
      const who = settings.user ?? 'default';
      return settings.password === undefined ? `no password; user "${who}"` : `accepted for user "${who}"`;
    },
  },
  {
    name: 'PING',
    async run({ client }) {
      return String(await found(client, 'authentication').sendCommand(['PING']));
    },
  },
  {
    name: 'server version',
    async run(context) {
      const { client, host, settings } = context;
      const fields = parseInfo(String(await found(client, 'authentication').sendCommand(['INFO'])));
      const version = fields.redis_version ?? 'unknown';
      if (!(majorVersion(fields) >= 6)) {
        throw new RedisError(
          'TESSERA_REDIS_VERSION',
          `${host} runs Redis ${version}; Tessera needs Redis 6 or newer (TLS and ACLs arrived in 6.0). Upgrade the Redis server.`,
        );
      }
      context.info = fields;
      return `Redis ${version}${settings.ssl ? ', TLS in use' : ', TLS not in use'}`;
    },
  },
  {
    name: ({ info }) => (info?.cluster_enabled === '1' ? 'cluster state' : 'role'),
    async run(context) {
      const { value, detail } = await checkRole(
        found(context.client, 'authentication'),
        found(context.info, 'server version'),
        context.host,
      );
      context.role = value;
      return detail;
    },
  },
  {
    name: 'write, read, expire, delete',
    run: ({ client, role }) => checkKeyCycle(found(client, 'authentication'), found(role, 'role')),
  },
  {
    name: 'latency',
    run: ({ client }) => checkLatency(found(client, 'authentication')),
  },
];

/** Last, once every host passed: the topology the platform's client makes of all hosts together. */
function topologyStep(
  material: TlsMaterial | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Step<RedisConnectionSettings> {
  return {
    name: 'topology',
    async run(settings) {
      const connection = await connectRedis(settings, { ...(material ? { material } : {}), env });
      await connection.close();
      return describeTopology(settings, connection.topology);
    },
  };
}

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

async function checkKeyCycle(client: Client, role: Role): Promise<string> {
  if (role.kind === 'replica') return 'skipped: a replica takes no writes; the primary is checked';
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
  return `${key.slice(0, TEST_KEY_PREFIX.length)}… written, read back, expiring, deleted`;
}

async function checkLatency(client: Client): Promise<string> {
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_PINGS; i++) {
    const start = performance.now();
    await client.sendCommand(['PING']);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)] ?? 0;
  return `p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms over ${LATENCY_PINGS} PINGs`;
}

function elapsed(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

function describeServerCertificate(protocol: string, peer: PeerCertificate): string {
  const validTo = new Date(peer.valid_to);
  const days = Math.floor((validTo.getTime() - Date.now()) / 86_400_000);
  const warning =
    days < TLS_MATERIAL_DEFAULTS.expiryWarningDays
      ? ` — warning: it expires in ${days} day(s); renew it soon`
      : '';
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
