/**
 * Real `redis-server` processes for tests: TLS on free ports, optional plain port,
 * `requirepass`, ACL users, a replica of another server, or a cluster of
 * primaries. Every process started here is stopped when the test process exits,
 * even when a test fails before its `after` hook runs.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface RedisTlsFiles {
  /** PEM chain the server presents (leaf first). */
  readonly cert: string;
  readonly key: string;
  /** CA bundle the server uses to verify client certificates. */
  readonly caCert: string;
}

export interface AclUser {
  readonly name: string;
  readonly password: string;
  /** ACL rules after `on >password`; default: every key and command. */
  readonly rules?: readonly string[];
}

export interface RedisServerOptions {
  /** TLS on `tlsPort`; without it the server listens in plain text only. */
  readonly tls?: RedisTlsFiles & { readonly authClients?: 'yes' | 'optional' | 'no' };
  /** Also listen in plain text (always true without `tls`). */
  readonly plainPort?: boolean;
  readonly requirepass?: string;
  readonly aclUsers?: readonly AclUser[];
  /** Start as a replica of this server (over TLS when both use it). */
  readonly replicaOf?: RedisServer;
  readonly clusterEnabled?: boolean;
  readonly extraArgs?: readonly string[];
}

export interface RedisServer {
  readonly host: '127.0.0.1';
  /** Plain-text port, 0 when the server has none. */
  readonly port: number;
  /** TLS port, 0 when the server has no TLS. */
  readonly tlsPort: number;
  readonly options: RedisServerOptions;
  /** Runs redis-cli against this server (over TLS when it has TLS) and returns its output. */
  cli(...args: string[]): Promise<string>;
  /** Stops the server (SIGTERM, then waits for the exit). */
  stop(): Promise<void>;
  /** Starts it again on the same ports after `stop()`. */
  restart(): Promise<void>;
}

const running = new Set<ChildProcess>();
const directories = new Set<string>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

/** A TCP port that was free a moment ago (the kernel picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-redis-'));
  directories.add(dir);
  const tlsPort = options.tls ? await freePort() : 0;
  const port = !options.tls || options.plainPort ? await freePort() : 0;
  const args = serverArguments(options, dir, port, tlsPort);
  let child = await launch(args);

  const server: RedisServer = {
    host: '127.0.0.1',
    port,
    tlsPort,
    options,
    cli: (...cliArgs) => redisCli(server, cliArgs),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
    async restart() {
      await server.stop();
      child = await launch(args);
    },
  };
  return server;
}

function serverArguments(options: RedisServerOptions, dir: string, port: number, tlsPort: number): string[] {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
  args.push('--save', '', '--appendonly', 'no', '--logfile', '', '--loglevel', 'notice');
  // A replica's first sync would otherwise wait 5 s for more replicas to join.
  args.push('--repl-diskless-sync-delay', '0');
  if (options.tls) {
    args.push('--tls-port', String(tlsPort));
    args.push('--tls-cert-file', options.tls.cert, '--tls-key-file', options.tls.key);
    args.push('--tls-ca-cert-file', options.tls.caCert);
    args.push('--tls-auth-clients', options.tls.authClients ?? 'yes');
    args.push('--tls-replication', 'yes', '--tls-cluster', 'yes');
  }
  if (options.requirepass !== undefined) {
    args.push('--requirepass', options.requirepass);
    if (options.replicaOf) args.push('--masterauth', options.requirepass);
  }
  for (const user of options.aclUsers ?? []) {
    const rules = user.rules ?? ['~*', '&*', '+@all'];
    // Redis joins the words after `--user` into one directive; one argument each.
    args.push('--user', user.name, 'on', `>${user.password}`, ...rules);
  }
  if (options.replicaOf) {
    const primary = options.replicaOf;
    args.push('--replicaof', primary.host, String(primary.tlsPort || primary.port));
  }
  if (options.clusterEnabled) {
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'));
    args.push('--cluster-node-timeout', '2000');
  }
  args.push(...(options.extraArgs ?? []));
  return args;
}

async function launch(args: string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) =>
      reject(new Error(`redis-server exited (${code}) before it was ready:\n${output.slice(-2000)}`)),
    );
  });
  return child;
}

async function redisCli(server: RedisServer, args: readonly string[]): Promise<string> {
  const connection = ['-h', server.host];
  const tls = server.options.tls;
  if (tls && server.tlsPort) {
    connection.push('-p', String(server.tlsPort), '--tls', '--cacert', tls.caCert);
    connection.push('--cert', tls.cert, '--key', tls.key);
  } else {
    connection.push('-p', String(server.port));
  }
  if (server.options.requirepass !== undefined)
    connection.push('--no-auth-warning', '-a', server.options.requirepass);
  const { stdout } = await execFileAsync('redis-cli', [...connection, ...args]);
  return stdout;
}

export interface RedisCluster {
  readonly nodes: readonly RedisServer[];
  stop(): Promise<void>;
}

/** A cluster of `primaries` nodes (no replicas) covering all 16384 slots. */
export async function startRedisCluster(
  options: RedisServerOptions & { readonly primaries?: number } = {},
): Promise<RedisCluster> {
  const count = options.primaries ?? 3;
  const nodes = await Promise.all(
    Array.from({ length: count }, () => startRedisServer({ ...options, clusterEnabled: true })),
  );
  const first = nodes[0]!;
  const addresses = nodes.map((node) => `${node.host}:${node.tlsPort || node.port}`);
  await first.cli('--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes');
  // `--cluster create` returns once slots are assigned; wait until every node agrees.
  for (const node of nodes)
    await waitFor(async () => (await node.cli('cluster', 'info')).includes('cluster_state:ok'));
  return {
    nodes,
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}

/** Waits until a Redis replica reports its link to the primary as up. */
export async function waitForReplication(replica: RedisServer): Promise<void> {
  await waitFor(async () => (await replica.cli('info', 'replication')).includes('master_link_status:up'));
}

/**
 * Polls a condition that only Redis can report (cluster gossip, replication link):
 * no event tells a client when they change. Gives up after `timeoutMs`.
 */
async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
