/**
 * Events of the Redis connection layer on `node:diagnostics_channel`, for the
 * platform's logger and for tests. They carry addresses, topologies, error codes
 * and messages — never a password, a key or a session value.
 */
import { publisher } from '../diagnostics-channel.ts';
import type { RedisTopology } from './connection.ts';

/** Names of the channels, for subscribers. */
export const REDIS_CHANNELS = {
  /** A connection was established: `{ address, topology }` (address: every seed of a cluster, comma-separated). */
  connect: 'tessera:redis:connect',
  /** A command or a connection failed: `{ where, code, message }`. */
  error: 'tessera:redis:error',
  /** A server stopped answering, or answers again: `{ address, state, silentMs }` (see responsiveness.ts). */
  health: 'tessera:redis:health',
  /** The primary moved after a failover: `{ from, to }`. */
  failover: 'tessera:redis:failover',
} as const;

export interface RedisConnectEvent {
  readonly address: string;
  readonly topology: RedisTopology;
}

export interface RedisErrorEvent {
  /** The server (`host:port`) or the connection the error concerns. */
  readonly where: string;
  readonly code: string | undefined;
  readonly message: string;
}

export interface RedisHealthEvent {
  readonly address: string;
  readonly state: 'unresponsive' | 'answering';
  /** How long the server was silent (with `answering`). */
  readonly silentMs?: number;
}

export interface RedisFailoverEvent {
  /** The former primary (`host:port`). */
  readonly from: string;
  readonly to: string;
}

export const publishConnect = publisher<RedisConnectEvent>(REDIS_CHANNELS.connect);
export const publishError = publisher<RedisErrorEvent>(REDIS_CHANNELS.error);
export const publishHealth = publisher<RedisHealthEvent>(REDIS_CHANNELS.health);
export const publishFailover = publisher<RedisFailoverEvent>(REDIS_CHANNELS.failover);
