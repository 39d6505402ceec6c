/**
 * The front-end server's logs: pino JSON lines on standard output, or, with
 * `--pretty`, one readable line per event. Fields that may hold a secret are
 * redacted wherever they appear.
 */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Field names whose values never reach a log. */
const REDACTED_PATHS = [
  'password',
  '*.password',
  'connectionString',
  '*.connectionString',
  'settings.connectionString',
  '*.settings.connectionString',
  'secret',
  '*.secret',
  'cookie',
  'req.headers.cookie',
];

export function createLogger(options: { readonly pretty?: boolean; readonly name: string }): Logger {
  return pino(
    {
      base: { frontend: options.name, pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.pretty ? prettyStream() : pino.destination({ dest: 1, sync: true }),
  );
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'frontend']);

/** `12:00:01 INFO  message key=value …` for people. */
function prettyStream(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) {
        if (line === '') continue;
        try {
          const event = JSON.parse(line) as Record<string, unknown>;
          const time = typeof event.time === 'string' ? event.time.slice(11, 19) : '';
          const rest = Object.entries(event)
            .filter(([key]) => !OMITTED.has(key))
            .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
            .join(' ');
          process.stdout.write(
            `${time} ${(LEVELS[event.level as number] ?? '').padEnd(5)} ${event.msg ?? ''}${rest ? `  ${rest}` : ''}\n`,
          );
        } catch {
          process.stdout.write(`${line}\n`);
        }
      }
      callback();
    },
  });
}
