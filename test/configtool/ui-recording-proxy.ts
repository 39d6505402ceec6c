// An HTTP proxy between the browser and `tessera config ui` that passes every
// request and response through unchanged, chunk by chunk (Test Connection and
// Apply still stream), and keeps a copy of each response body. The browser's own
// record cannot be used for that: Chromium keeps no body for a response that the
// page reads as a stream.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';

export interface RecordedResponse {
  /** `METHOD /path STATUS`. */
  readonly exchange: string;
  readonly body: string;
}

export class RecordingProxy {
  readonly #server: Server;
  readonly #exchanges: Promise<RecordedResponse | { readonly exchange: string; readonly error: string }>[] =
    [];

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<RecordingProxy> {
    const server = createServer();
    const proxy = new RecordingProxy(server);
    server.on('request', (req, res) => {
      proxy.#exchanges.push(
        new Promise((resolve) => {
          const target = new URL(req.url ?? '/');
          const name = `${req.method} ${target.pathname}`;
          const { 'proxy-connection': _hop, ...headers } = req.headers;
          const upstream = request(
            {
              host: target.hostname,
              port: target.port,
              method: req.method,
              path: target.pathname + target.search,
              headers,
            },
            (answer) => {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              const chunks: Buffer[] = [];
              answer.on('data', (chunk: Buffer) => {
                chunks.push(chunk);
                res.write(chunk);
              });
              answer.on('end', () => {
                res.end();
                resolve({
                  exchange: `${name} ${answer.statusCode}`,
                  body: Buffer.concat(chunks).toString('utf8'),
                });
              });
              answer.on('error', (error) => {
                res.destroy();
                resolve({ exchange: name, error: error.message });
              });
            },
          );
          upstream.on('error', (error) => {
            res.destroy();
            resolve({ exchange: name, error: error.message });
          });
          req.pipe(upstream);
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** For `browser.newContext({ proxy })`: every request, loopback included, goes through it. */
  get settings(): { server: string; bypass: string } {
    const { port } = this.#server.address() as { port: number };
    return { server: `http://127.0.0.1:${port}`, bypass: '<-loopback>' };
  }

  /** Every response, each body read to its end; a response that broke off fails the test. */
  async responses(): Promise<readonly RecordedResponse[]> {
    const all = await Promise.all(this.#exchanges);
    const broken = all.filter((exchange) => 'error' in exchange);
    assert.deepEqual(broken, [], 'every response reached the browser whole');
    return all as RecordedResponse[];
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
