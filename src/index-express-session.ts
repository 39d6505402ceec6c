/**
 * `tessera/express-session`: the Store for express-session, for applications that
 * keep express-session's `session()` middleware and want its sessions in Tessera's
 * stores. express-session is an optional peer dependency: install it beside Tessera.
 *
 * ```js
 * import session from 'express-session';
 * import { RedisSessionStore } from 'tessera';
 * import { TesseraExpressStore } from 'tessera/express-session';
 * const store = await RedisSessionStore.connect(process.env.SESSION_CONNECTION_STRING);
 * app.use(session({ store: new TesseraExpressStore(store), secret, resave: false, saveUninitialized: false }));
 * ```
 */
export {
  EXPRESS_STORE_DEFAULTS,
  type ListedSessionData,
  TesseraExpressStore,
  type TesseraExpressStoreOptions,
} from './http/express-store.ts';
