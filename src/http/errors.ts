/**
 * How session failures become HTTP responses. The store being unreachable, or a
 * session's lock being contended past its limits, is a 503 with `Retry-After`: the
 * request may succeed shortly and nothing was written. A write the store did not
 * confirm (it may have happened) is a 504 without `Retry-After`. Other session
 * errors are the application's (a value that is not JSON, a lock taken over): 500.
 */
import type { ServerResponse } from 'node:http';
import { SessionError } from '../session/index.ts';

export interface ErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The response for a session error, or `undefined` when `error` is not one. */
export function sessionErrorResponse(error: unknown, retryAfterSeconds: number): ErrorResponse | undefined {
  if (!(error instanceof SessionError)) return undefined;
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
  };
  if (error.code === 'TESSERA_SESSION_OUTCOME_UNKNOWN') {
    // Not a 503: the write may have happened, so the request is not safe to repeat as it is.
    return {
      status: 504,
      headers,
      body: `Gateway Timeout (${error.code}). The session store did not confirm the change; it may have been stored. Reload before repeating it.\n`,
    };
  }
  if (error.retryable) {
    headers['retry-after'] = String(retryAfterSeconds);
    return {
      status: 503,
      headers,
      body: `Service Unavailable (${error.code}). Retry in ${retryAfterSeconds} s.\n`,
    };
  }
  return { status: 500, headers, body: `Internal Server Error (${error.code}).\n` };
}

/** Replaces whatever the response had prepared with `response`. Only before the headers are sent. */
export function sendErrorResponse(
  res: ServerResponse,
  response: ErrorResponse,
  end: (this: ServerResponse, body: string) => unknown = res.end,
): void {
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.setHeader('content-length', Buffer.byteLength(response.body));
  end.call(res, response.body);
}
