/**
 * Events of the certificate-material layer on `node:diagnostics_channel`, for the
 * platform's logger and for tests. Values carry no secret: a version, a subject,
 * an error code and message (messages never hold a password).
 */
import { publisher } from '../diagnostics-channel.ts';
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

export const publishLoaded = publisher<MaterialLoadedMessage>(TLS_CHANNELS.materialLoaded);
export const publishFailed = publisher<MaterialFailedMessage>(TLS_CHANNELS.materialFailed);
