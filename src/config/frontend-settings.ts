/**
 * The front-end server settings of the server configuration (`"frontend"`): the
 * server's name in the farm, where it listens, and how many workers serve its
 * modules. All optional; `frontendOf` gives the settings in use, defaults filled in.
 *
 * ```json
 * "frontend": { "name": "web1", "port": 8080, "host": "0.0.0.0", "workers": 2 }
 * ```
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { quoteInput } from '../errors.ts';
import type { SettingProblem } from './redis-settings.ts';

/** The defaults of every front-end setting (the name's is this machine's host name). */
export const FRONTEND_DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  workers: 1,
} as const;

/** At most this many workers per front-end server. */
export const FRONTEND_MAX_WORKERS = 64;

/** A front-end's name: what the farm and Service Center call it. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** The front-end settings as stored: each one absent means its default. */
export interface FrontendSettings {
  readonly name?: string;
  readonly port?: number;
  readonly host?: string;
  readonly workers?: number;
}

/** The settings in use, defaults filled in. */
export type FrontendSettingsInUse = Required<FrontendSettings>;

export const frontendFileSchema = z.strictObject({
  name: z.string().min(1).optional(),
  port: z.int().min(0).max(65_535).optional(),
  host: z.string().min(1).optional(),
  workers: z.int().min(1).max(FRONTEND_MAX_WORKERS).optional(),
});

/** The settings in use: the configured ones over the defaults. */
export function frontendOf(configuration: { readonly frontend?: FrontendSettings }): FrontendSettingsInUse {
  const settings = configuration.frontend ?? {};
  return {
    name: settings.name ?? defaultFrontendName(),
    port: settings.port ?? FRONTEND_DEFAULTS.port,
    host: settings.host ?? FRONTEND_DEFAULTS.host,
    workers: settings.workers ?? FRONTEND_DEFAULTS.workers,
  };
}

/** The host name, made a valid front-end name (`web1.example.com` stays as it is). */
export function defaultFrontendName(): string {
  const name = hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);
  return name === '' ? 'frontend' : name;
}

/** Every problem of `settings`, by field (`name`, `port`, `host`, `workers`). */
export function frontendProblems(settings: FrontendSettings): SettingProblem[] {
  const problems: SettingProblem[] = [];
  if (settings.name !== undefined && !NAME_PATTERN.test(settings.name))
    problems.push({
      field: 'name',
      problem: `${quoteInput(settings.name)} is not a front-end name: use 1 to 63 letters, digits, ".", "-" or "_", starting with a letter or digit.`,
    });
  if (
    settings.port !== undefined &&
    (!Number.isInteger(settings.port) || settings.port < 0 || settings.port > 65_535)
  )
    problems.push({
      field: 'port',
      problem: `${quoteInput(String(settings.port))} is not a port (0 to 65535).`,
    });
  if (settings.host !== undefined && (settings.host.trim() === '' || /[\s/\\@,?#\0[\]]/.test(settings.host)))
    problems.push({
      field: 'host',
      problem: `${quoteInput(settings.host)} is not an address to listen on (write 127.0.0.1, 0.0.0.0, :: or a host name; no port or scheme).`,
    });
  if (
    settings.workers !== undefined &&
    (!Number.isInteger(settings.workers) || settings.workers < 1 || settings.workers > FRONTEND_MAX_WORKERS)
  )
    problems.push({
      field: 'workers',
      problem: `${quoteInput(String(settings.workers))} is not a worker count (1 to ${FRONTEND_MAX_WORKERS}).`,
    });
  return problems;
}
