/**
 * A TCP proxy in front of a real redis-server that changes the `redis_version`
 * INFO reports, to test how Tessera treats a Redis older than 6 when only Redis 7
 * is installed. The fake version is padded to the real one's length so the RESP
 * bulk-string length stays right.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

export interface VersionProxy {
  readonly port: number;
  close(): Promise<void>;
}

export async function startVersionRewritingProxy(
  targetPort: number,
  fakeVersion: string,
): Promise<VersionProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1').replace(/redis_version:([\d.]+)/, (_, real: string) => {
        return `redis_version:${fakeVersion.padEnd(real.length, '0').slice(0, real.length)}`;
      });
      client.write(Buffer.from(text, 'latin1'));
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
