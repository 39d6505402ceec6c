/**
 * What changed in a server configuration between two reads of its file: the
 * settings of the Session tab one by one, and the applied revision. Used when an
 * apply is refused because the file changed since it was read, to show the
 * operator what someone else changed. Secrets are never shown: the password is
 * only "set", "not set", or "set (another one)".
 */
import {
  REDIS_ADVANCED_OPTION_NAMES,
  type RedisSessionSettings,
  SESSION_PROVIDER_LABELS,
  type ServerConfiguration,
} from '../config/index.ts';

/**
 * One setting that differs. `field` is the Session tab's name for it (`provider`,
 * `hosts`, `password`, `user`, `useSsl`, `sslHost`, an advanced option such as
 * `connectTimeoutMs`) or `applied`; `before` and `now` are shown as they are.
 */
export interface SettingChange {
  readonly field: string;
  readonly before: string;
  readonly now: string;
}

const EMPTY = '(empty)';

/** How each setting is shown, in the order of the Session tab. */
const SHOWN: readonly (readonly [string, (configuration: ServerConfiguration) => string])[] = [
  ['provider', (c) => SESSION_PROVIDER_LABELS[c.session.provider]],
  ['hosts', (c) => text(c.session.redis?.hosts.join(', '))],
  ['password', (c) => (c.session.redis?.password === undefined ? 'not set' : 'set')],
  ['user', (c) => text(c.session.redis?.user)],
  ['useSsl', (c) => (c.session.redis?.useSsl ? 'on' : 'off')],
  ['sslHost', (c) => text(c.session.redis?.sslHost)],
  ...REDIS_ADVANCED_OPTION_NAMES.map(
    (name) =>
      [
        name,
        (c: ServerConfiguration) => {
          const value = c.session.redis?.[name];
          return value === undefined ? '(default)' : String(value);
        },
      ] as const,
  ),
  [
    'applied',
    ({ applied }) =>
      applied === undefined
        ? 'never'
        : `revision ${applied.revision} at ${applied.at}${applied.forced ? ' (forced)' : ''}`,
  ],
];

/** The settings that differ between `before` and `now`, in the order of the Session tab. */
export function settingChanges(before: ServerConfiguration, now: ServerConfiguration): SettingChange[] {
  const changes: SettingChange[] = [];
  for (const [field, show] of SHOWN) {
    const was = show(before);
    const is = show(now);
    if (was !== is) changes.push({ field, before: was, now: is });
    else if (field === 'password' && !samePassword(before.session.redis, now.session.redis)) {
      changes.push({ field, before: was, now: `${is} (another one)` });
    }
  }
  return changes;
}

function samePassword(a: RedisSessionSettings | undefined, b: RedisSessionSettings | undefined): boolean {
  return a?.password === undefined ? b?.password === undefined : a.password.equals(b?.password);
}

function text(value: string | undefined): string {
  return value === undefined || value === '' ? EMPTY : value;
}
