// Raw HTTP for the access tests of the consoles: requests with exactly the headers and
// path given, and the spellings of a route's path that a router may decode to it.
import { request as httpRequest } from 'node:http';

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * One HTTP request with exactly the headers given (Host included: fetch cannot set
 * it) and `path` sent as it is written (fetch would normalise it).
 */
export function rawRequest(
  port: number,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    timeoutMs?: number;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
        // A connection of its own: the global agent's kept-alive sockets time out after
        // 5 s, which a loaded machine can take to answer a page.
        agent: false,
        ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Ways of writing `url` that a router may decode to the same route (percent-encoding,
 * dot segments, doubled slashes, case, an absolute form): an access check on the raw
 * path would miss them.
 */
export function pathSpellings(url: string, port: number): string[] {
  const encodeAll = (text: string) =>
    [...text].map((c) => (c === '/' ? c : `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)).join('');
  const segments = url.split('/').slice(1);
  const firstLetterEncoded = `/${segments.map((s) => (s === '' ? s : `%${s.charCodeAt(0).toString(16)}${s.slice(1)}`)).join('/')}`;
  const upperHex = `/${segments.map((s) => (s === '' ? s : `%${s.charCodeAt(0).toString(16).toUpperCase()}${s.slice(1)}`)).join('/')}`;
  const last = url.lastIndexOf('/');
  return [
    ...new Set([
      url,
      `/%${url.charCodeAt(1).toString(16)}${url.slice(2)}`,
      firstLetterEncoded,
      upperHex,
      encodeAll(url),
      `/%25${url.slice(1)}`,
      `${url.slice(0, last)}%2F${url.slice(last + 1)}`,
      `${url.slice(0, last)}%2f${url.slice(last + 1)}`,
      `/${url}`,
      `${url.slice(0, last)}/${url.slice(last)}`,
      `${url}/`,
      url.toUpperCase(),
      url.replace(/[a-z]/, (c) => c.toUpperCase()),
      `/.${url}`,
      `${url.slice(0, last)}/.${url.slice(last)}`,
      `/x/..${url}`,
      `${url.slice(0, last)}/x/..${url.slice(last)}`,
      `/%2e${url}`,
      `/%2e%2e${url}`,
      `${url}?probe=1`,
      `${url}#probe`,
      `${url};probe`,
      `http://127.0.0.1:${port}${url}`,
      `http://evil.example${url}`,
    ]),
  ];
}
