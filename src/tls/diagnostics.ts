/**
 * Events of the certificate-material layer on `node:diagnostics_channel`, for the
 * platform's logger and for tests. Values carry no secret: a version, a subject,
 * an error code and message (messages never hold a password).
 */
import { channel } from 'node:diagnostics_channel';
import type { LoadedWith } from './client-identity.ts';
import type { TlsErrorCode } from './errors.ts';

export const TLS_CHANNELS = {
  /** A new version of the material was loaded and its SecureContext built (once per version). */
  materialLoaded: 'tessera:tls:material-loaded',
  /** The files changed but the new version cannot be used; connections keep the previous one, if any. */
  materialFailed: 'tessera:tls:material-failed',
} as const;

export interface MaterialLoadedMessage {
  readonly version: string;
  readonly loadedWith: LoadedWith;
  /** The client certificate's subject, on one line. */
  readonly subject: string;
}

export interface MaterialFailedMessage {
  readonly version: string;
  readonly code: TlsErrorCode | undefined;
  readonly message: string;
  /** Whether connections still use an earlier version. */
  readonly keptPrevious: boolean;
}

const loaded = channel(TLS_CHANNELS.materialLoaded);
const failed = channel(TLS_CHANNELS.materialFailed);

export function publishLoaded(message: MaterialLoadedMessage): void {
  if (loaded.hasSubscribers) loaded.publish(message);
}

export function publishFailed(message: MaterialFailedMessage): void {
  if (failed.hasSubscribers) failed.publish(message);
}
