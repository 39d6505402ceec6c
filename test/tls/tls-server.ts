/**
 * A real TLS server on a port chosen by the system, standing in for redis-server's
 * TLS port: it presents a server certificate (with its chain) and asks for a client
 * certificate, which it verifies against `trust` when given. Each accepted connection
 * gets "ok\n" and is closed; what the server saw of the client is recorded.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { type ConnectionOptions, connect, createServer, type PeerCertificate } from 'node:tls';
import type { ServerCert } from '../support/pki.ts';

export interface SeenClient {
  /** CN of the client certificate, `undefined` when none was sent. */
  readonly subject: string | undefined;
  /** SHA-256 fingerprint of the client certificate (colon-separated hex), `undefined` when none was sent. */
  readonly fingerprint256: string | undefined;
  /** CNs of the certificates the client sent after its own (its chain), as the server rebuilt it. */
  readonly chain: readonly string[];
  /** The SNI name the client sent, `false` when none. */
  readonly servername: string | false | null;
}

export interface TestTlsServer {
  readonly port: number;
  readonly seen: SeenClient[];
  close(): Promise<void>;
}

export async function startTlsServer(
  cert: ServerCert,
  options: { trust?: string; host?: string } = {},
): Promise<TestTlsServer> {
  const seen: SeenClient[] = [];
  const server = createServer(
    {
      key: readFileSync(cert.key),
      cert: readFileSync(cert.chain),
      requestCert: true,
      rejectUnauthorized: options.trust !== undefined,
      ...(options.trust ? { ca: readFileSync(options.trust) } : {}),
    },
    (socket) => {
      const peer = socket.getPeerCertificate(true);
      seen.push({
        subject: commonName(peer),
        fingerprint256: peer.fingerprint256 || undefined,
        chain: chainOf(peer),
        servername: socket.servername,
      });
      socket.end('ok\n');
    },
  );
  server.on('tlsClientError', () => {});
  server.listen(0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function chainOf(peer: PeerCertificate & { issuerCertificate?: PeerCertificate }): string[] {
  const names: string[] = [];
  let current = peer.issuerCertificate;
  while (current && current !== peer && !names.includes(commonName(current) ?? '')) {
    names.push(commonName(current) ?? '');
    const next: PeerCertificate | undefined = (current as { issuerCertificate?: PeerCertificate })
      .issuerCertificate;
    if (next === current) break;
    current = next;
  }
  return names;
}

/** Connects, waits for the server's "ok", and resolves with the server certificate's CN; rejects with the TLS error. */
export function exchange(
  port: number,
  options: ConnectionOptions & { host?: string },
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...options });
    let data = '';
    let serverName: string | undefined;
    socket.on('secureConnect', () => {
      serverName = commonName(socket.getPeerCertificate());
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('error', reject);
    socket.on('end', () => {
      if (data === 'ok\n') resolve(serverName);
      else reject(new Error(`the server closed the connection without "ok" (got ${JSON.stringify(data)})`));
      socket.end();
    });
  });
}

/** The CN of a certificate as Node describes it (a string, or an array when there are several). */
export function commonName(cert: PeerCertificate): string | undefined {
  const cn = cert.subject?.CN;
  return Array.isArray(cn) ? cn.join(', ') : cn;
}
