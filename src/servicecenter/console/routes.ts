/** Where Service Center is served on every front-end server, and how routes declare who may call them. */
export const SERVICE_CENTER_BASE = '/servicecenter';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Service Center: `true` on the routes anyone may call (the login page and form). Absent: signed in only. */
    readonly public?: boolean;
    /** Service Center: a JSON API route (errors as JSON, 401 instead of the login page). */
    readonly api?: boolean;
  }
}

/** A route as the access test enumerates it. */
export interface RouteInfo {
  readonly method: string;
  readonly url: string;
  readonly public: boolean;
  readonly api: boolean;
}
