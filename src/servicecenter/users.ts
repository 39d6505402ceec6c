/**
 * Service Center users: the first administrator (created on first start, its
 * password printed once), adding, resetting and removing users, and logging in.
 * Passwords are generated here (24 characters from a CSPRNG) unless given, stored
 * only as scrypt hashes (`UsersRepository`), and never logged or audited.
 */
import { randomBytes } from 'node:crypto';
import { quoteInput } from '../errors.ts';
import type { PlatformDatabase, UserRecord, UserRole } from '../platform/index.ts';
import { badInput } from './errors.ts';
import type { Actor } from './service-center.ts';

/** The roles people are given; `operator` (in the schema) changes the factory but is not offered yet. */
export const SERVICE_CENTER_ROLES = ['administrator', 'viewer'] as const;
export const FIRST_ADMINISTRATOR = 'admin';
export const PASSWORD_MIN_CHARS = 12;
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Whether a user of `role` may change anything (viewers see everything and change nothing). */
export function mayChange(role: UserRole): boolean {
  return role !== 'viewer';
}

export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * Creates the first administrator when the platform database has no user yet;
 * returns its name and password (to print once), or null when users exist.
 * Two front-ends starting together: the second one's insert conflicts and it
 * prints nothing.
 */
export async function ensureFirstAdministrator(
  database: PlatformDatabase,
): Promise<{ readonly name: string; readonly password: string } | null> {
  if ((await database.users.list()).length > 0) return null;
  const password = generatePassword();
  try {
    await database.users.createUser(FIRST_ADMINISTRATOR, password, 'administrator');
  } catch (error) {
    if ((error as { code?: string }).code === 'TESSERA_PLATFORM_CONFLICT') return null;
    throw error;
  }
  await database.users.audit({
    userName: 'tessera',
    action: 'user.add',
    target: FIRST_ADMINISTRATOR,
    detail: 'first start; role administrator',
  });
  return { name: FIRST_ADMINISTRATOR, password };
}

export function checkUserName(name: unknown): string {
  if (typeof name !== 'string' || !USER_NAME.test(name))
    throw badInput(
      'name',
      'a user name is 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit.',
    );
  return name;
}

export function checkRole(role: unknown): UserRole {
  if (!SERVICE_CENTER_ROLES.includes(role as (typeof SERVICE_CENTER_ROLES)[number]))
    throw badInput('role', `one of ${SERVICE_CENTER_ROLES.join(', ')} (not ${quoteInput(String(role))}).`);
  return role as UserRole;
}

function checkPassword(password: string): string {
  if (Array.from(password).length < PASSWORD_MIN_CHARS)
    throw badInput('password', `at least ${PASSWORD_MIN_CHARS} characters.`);
  return password;
}

/** Adds a user; returns the password (the one given, else a generated one). */
export async function addUser(
  database: PlatformDatabase,
  actor: Actor,
  request: { readonly name: unknown; readonly role: unknown; readonly password?: string },
): Promise<string> {
  const name = checkUserName(request.name);
  const role = checkRole(request.role);
  const password = request.password === undefined ? generatePassword() : checkPassword(request.password);
  await database.users.createUser(name, password, role);
  await database.users.audit({
    userName: actor.user,
    action: 'user.add',
    target: name,
    detail: `from ${actor.from}; role ${role}`,
  });
  return password;
}

export async function resetPassword(
  database: PlatformDatabase,
  actor: Actor,
  request: { readonly name: unknown; readonly password?: string },
): Promise<string> {
  const name = checkUserName(request.name);
  const password = request.password === undefined ? generatePassword() : checkPassword(request.password);
  await database.users.setPassword(name, password);
  await database.users.audit({
    userName: actor.user,
    action: 'user.reset-password',
    target: name,
    detail: `from ${actor.from}`,
  });
  return password;
}

export async function removeUser(database: PlatformDatabase, actor: Actor, name: unknown): Promise<void> {
  const checked = checkUserName(name);
  await database.users.removeUser(checked);
  await database.users.audit({
    userName: actor.user,
    action: 'user.remove',
    target: checked,
    detail: `from ${actor.from}`,
  });
}

export type { UserRecord };
