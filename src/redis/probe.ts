/**
 * Raw socket probes for Test Connection: each step of reaching a Redis server
 * (name resolution, TCP, TLS handshake, the server's first reply) on its own, so a
 * failure is pinned to the step that failed. The Redis client hides these steps
 * behind one `connect()`, which is right for serving requests and wrong for a
 * diagnosis.
 */
import { lookup } from 'node:dns/promises';
import { connect as netConnect, type Socket } from 'node:net';
import {
  type ConnectionOptions,
  type PeerCertificate,
  type TLSSocket,
  connect as tlsConnect,
} from 'node:tls';
import { formatEndpoint, type RedisEndpoint } from './connection-string.ts';
import type { RedisError } from './errors.ts';
import { commandTimeout, connectionClosed, connectTimeout } from './explain-error.ts';

export interface TlsProbeResult {
  readonly protocol: string;
  readonly peerCertificate: PeerCertificate;
  /** The server's answer to an inline `PING` sent after the handshake. */
  readonly reply: string;
}

export async function resolveHost(host: string): Promise<string[]> {
  const addresses = await lookup(host, { all: true });
  return addresses.map((entry) => entry.address);
}

/**
 * How a probe fails when the socket does not: `TESSERA_REDIS_TIMEOUT` when the
 * step takes longer than its timeout, `TESSERA_REDIS_CONNECTION_CLOSED` when the
 * server closes the connection first. Socket errors (refused, reset, TLS alerts)
 * are passed on as Node reports them, for `explainRedisError`.
 */
interface ProbeFailures {
  timeout(): RedisError;
  closed(): RedisError;
}

function failures(endpoint: RedisEndpoint, ssl: boolean, timeoutMs: number, step: 'connect' | 'reply') {
  const context = {
    address: formatEndpoint(endpoint),
    ssl,
    connectTimeoutMs: timeoutMs,
    syncTimeoutMs: timeoutMs,
  };
  return {
    timeout: () => (step === 'connect' ? connectTimeout(context) : commandTimeout(context)),
    closed: () => connectionClosed(context),
  } satisfies ProbeFailures;
}

/** Opens and closes a TCP connection. Rejects with `TESSERA_REDIS_TIMEOUT` after `timeoutMs`. */
export async function tcpProbe(endpoint: RedisEndpoint, timeoutMs: number): Promise<void> {
  const socket = netConnect({ host: endpoint.host, port: endpoint.port });
  try {
    await settle(socket, 'connect', timeoutMs, failures(endpoint, false, timeoutMs, 'connect'));
  } finally {
    socket.destroy();
  }
}

/**
 * Sends an inline `PING` over plain TCP and returns the first line of the reply.
 * A server that expects TLS answers nothing and closes the connection.
 */
export async function plainPingProbe(endpoint: RedisEndpoint, timeoutMs: number): Promise<string> {
  const socket = netConnect({ host: endpoint.host, port: endpoint.port });
  try {
    await settle(socket, 'connect', timeoutMs, failures(endpoint, false, timeoutMs, 'connect'));
    socket.write('PING\r\n');
    return await firstLine(socket, timeoutMs, failures(endpoint, false, timeoutMs, 'reply'));
  } finally {
    socket.destroy();
  }
}

/**
 * Completes a TLS handshake with `options`, then sends an inline `PING`. With TLS
 * 1.3 a server that refuses the client certificate says so only after the
 * handshake, with an alert on the first read: the reply (`+PONG`, or `-NOAUTH` when
 * a password is required) is what proves the certificate was accepted.
 */
export async function tlsProbe(
  endpoint: RedisEndpoint,
  options: ConnectionOptions,
  timeoutMs: number,
  onHandshake?: (protocol: string, peerCertificate: PeerCertificate) => void,
): Promise<TlsProbeResult> {
  let peerCertificate: PeerCertificate | undefined;
  const socket: TLSSocket = tlsConnect({ ...options, host: endpoint.host, port: endpoint.port });
  try {
    // When verification fails there is no secureConnect; the certificate is still
    // readable at the error, and the diagnosis needs it (issuer, names, dates).
    await settle(socket, 'secureConnect', timeoutMs, failures(endpoint, true, timeoutMs, 'connect'), () => {
      peerCertificate = socket.getPeerCertificate();
    });
    const protocol = socket.getProtocol() ?? 'TLS';
    const certificate = socket.getPeerCertificate();
    onHandshake?.(protocol, certificate);
    socket.write('PING\r\n');
    const reply = await firstLine(socket, timeoutMs, failures(endpoint, true, timeoutMs, 'reply'));
    return { protocol, peerCertificate: certificate, reply };
  } catch (error) {
    throw Object.assign(error as Error, { peerCertificate });
  } finally {
    socket.destroy();
  }
}

/** Connects without verifying anything, only to learn whether a port speaks TLS. */
export async function speaksTls(endpoint: RedisEndpoint, timeoutMs: number): Promise<boolean> {
  const socket = tlsConnect({ host: endpoint.host, port: endpoint.port, rejectUnauthorized: false });
  try {
    await settle(socket, 'secureConnect', timeoutMs, failures(endpoint, true, timeoutMs, 'connect'));
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

function settle(
  socket: Socket,
  event: string,
  timeoutMs: number,
  fail: ProbeFailures,
  beforeReject?: () => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(fail.timeout());
    }, timeoutMs);
    const onEvent = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      beforeReject?.();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(fail.closed());
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off(event, onEvent);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    socket.once(event, onEvent);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}

function firstLine(socket: Socket, timeoutMs: number, fail: ProbeFailures): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(fail.timeout());
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\r\n');
      if (end >= 0) {
        cleanup();
        resolve(buffered.slice(0, end));
      }
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onEnd = () => {
      cleanup();
      reject(fail.closed());
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
    };
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  });
}
