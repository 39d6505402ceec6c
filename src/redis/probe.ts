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

export interface TlsHandshake {
  readonly protocol: string;
  readonly peerCertificate: PeerCertificate;
}

/** A TLS probe in its two steps, each awaited by the check it belongs to. */
export interface TlsProbe {
  /** Settles when the handshake completes or fails (the failure carries `peerCertificate` when one was sent). */
  readonly handshake: Promise<TlsHandshake>;
  /**
   * The first line of the server's answer to an inline `PING` sent after the
   * handshake. Rejects as `handshake` does when that fails; a caller that stops at
   * the handshake need not await it.
   */
  readonly reply: Promise<string>;
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
export function tlsProbe(endpoint: RedisEndpoint, options: ConnectionOptions, timeoutMs: number): TlsProbe {
  let peerCertificate: PeerCertificate | undefined;
  const socket: TLSSocket = tlsConnect({ ...options, host: endpoint.host, port: endpoint.port });
  // When verification fails there is no secureConnect; the certificate is still
  // readable at the error, and the diagnosis needs it (issuer, names, dates).
  const handshake = settle(
    socket,
    'secureConnect',
    timeoutMs,
    failures(endpoint, true, timeoutMs, 'connect'),
    () => {
      peerCertificate = socket.getPeerCertificate();
    },
  ).then(
    () => ({ protocol: socket.getProtocol() ?? 'TLS', peerCertificate: socket.getPeerCertificate() }),
    (error: unknown) => {
      throw Object.assign(error as Error, { peerCertificate });
    },
  );
  const reply = handshake
    .then(() => {
      socket.write('PING\r\n');
      return firstLine(socket, timeoutMs, failures(endpoint, true, timeoutMs, 'reply'));
    })
    .finally(() => socket.destroy());
  reply.catch(() => {
    // Awaited by the caller when it gets past the handshake; otherwise the handshake's failure says it all.
  });
  return { handshake, reply };
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
