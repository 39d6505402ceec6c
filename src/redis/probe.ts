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
import type { RedisEndpoint } from './connection-string.ts';

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

/** Opens and closes a TCP connection. Rejects with code TESSERA_CONNECT_TIMEOUT after `timeoutMs`. */
export async function tcpProbe(endpoint: RedisEndpoint, timeoutMs: number): Promise<void> {
  const socket = netConnect({ host: endpoint.host, port: endpoint.port });
  try {
    await settle(socket, 'connect', timeoutMs);
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
    await settle(socket, 'connect', timeoutMs);
    socket.write('PING\r\n');
    return await firstLine(socket, timeoutMs);
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
    await settle(socket, 'secureConnect', timeoutMs, () => {
      peerCertificate = socket.getPeerCertificate();
    });
    const protocol = socket.getProtocol() ?? 'TLS';
    const certificate = socket.getPeerCertificate();
    onHandshake?.(protocol, certificate);
    socket.write('PING\r\n');
    const reply = await firstLine(socket, timeoutMs);
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
    await settle(socket, 'secureConnect', timeoutMs);
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

function settle(socket: Socket, event: string, timeoutMs: number, beforeReject?: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        Object.assign(new Error(`no ${event} within ${timeoutMs} ms`), { code: 'TESSERA_CONNECT_TIMEOUT' }),
      );
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
      reject(Object.assign(new Error(`connection closed before ${event}`), { code: 'ECONNRESET' }));
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

function firstLine(socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(Object.assign(new Error(`no reply within ${timeoutMs} ms`), { name: 'TimeoutError' }));
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
      reject(
        Object.assign(new Error('the server closed the connection without a reply'), { code: 'ECONNRESET' }),
      );
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
