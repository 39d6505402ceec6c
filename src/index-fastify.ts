/**
 * `tessera/fastify`: the Fastify plugin, `request.session` backed by a Tessera
 * store. Fastify is an optional peer dependency of this subpath: the plugin runs
 * on the application's own Fastify instance.
 *
 * ```js
 * import { MemorySessionStore } from 'tessera';
 * import { fastifySession } from 'tessera/fastify';
 * await app.register(fastifySession, { store: new MemorySessionStore() });
 * ```
 */
export { type FastifySessionOptions, fastifySession } from './http/fastify-plugin.ts';
