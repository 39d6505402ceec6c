/**
 * Where Service Center is served on every front-end server: `/servicecenter/`. Each
 * worker opens the platform database and the front-end's session store (the session
 * provider of its server configuration: memory sessions through the supervisor, as
 * the modules' are) and serves the console and its API from them.
 */
import type { RequestListener } from 'node:http';
import { readConfiguration, resolveConfigLocation } from '../config/index.ts';
import { createSessionStoreForModule, runtimeSettingsFromServerConfiguration } from '../modules/index.ts';
import { databaseSettingsOf, PlatformDatabase } from '../platform/index.ts';
import { createServiceCenterListener, OperationsService, operationsStarter } from '../servicecenter/index.ts';
import type { SessionStore } from '../session/index.ts';
import type { Logger } from './logger.ts';
import { RelayedSessionStore } from './session-relay.ts';

export const SERVICE_CENTER_PATH = '/servicecenter/';

export function mountsServiceCenter(path: string): boolean {
  return path === '/servicecenter' || path.startsWith(SERVICE_CENTER_PATH);
}

export interface ServiceCenterMount {
  readonly listener: RequestListener;
  /** Ends the live-progress streams (a draining worker), then closes the store and the database. */
  close(): Promise<void>;
}

export async function mountServiceCenter(context: {
  readonly frontend: string;
  readonly configPath: string;
  readonly log: Logger;
}): Promise<ServiceCenterMount> {
  const loaded = await readConfiguration(
    resolveConfigLocation({ path: context.configPath, env: process.env }),
  );
  const database = await PlatformDatabase.open(databaseSettingsOf(loaded), { env: process.env });
  let store: SessionStore | undefined;
  try {
    const settings = runtimeSettingsFromServerConfiguration(loaded);
    store =
      settings.provider === 'memory'
        ? new RelayedSessionStore()
        : await createSessionStoreForModule(settings);
    const listener = createServiceCenterListener({
      database,
      frontendName: context.frontend,
      store,
      logger: context.log.child({ component: 'servicecenter' }),
      starter: operationsStarter(new OperationsService(database), database),
    });
    await listener.ready();
    const opened = store;
    return {
      listener,
      async close() {
        await listener.close();
        await opened.close();
        await database.close();
      },
    };
  } catch (error) {
    await store?.close();
    await database.close();
    throw error;
  }
}
