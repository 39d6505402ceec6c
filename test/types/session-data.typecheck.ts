/**
 * Compiled by `npm run typecheck`, never run: an application's `SessionData`
 * declaration types `req.session` in node:http, Express and Fastify, and a wrong
 * type is a compile error (each `@ts-expect-error` fails the build when the error
 * it expects is gone).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
// Express types `req.session` through @types/express-session, which an Express
// application using Tessera's middleware installs (see docs/sessions.md).
import type {} from 'express-session';
import Fastify from 'fastify';
import { MemorySessionStore, type RequestWithSession, sessionMiddleware } from 'tessera';
import { fastifySession } from 'tessera/fastify';

interface Cart {
  readonly lines: string[];
}

declare module 'tessera' {
  interface SessionData {
    cart: Cart;
    visits: number;
  }
}

const store = new MemorySessionStore();
const handle = sessionMiddleware({ store });

export async function nodeHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
  await handle(req, res);
  const { session } = req as RequestWithSession;
  const cart: Cart | undefined = session.cart;
  session.visits = (session.visits ?? 0) + 1;
  // @ts-expect-error visits is a number
  session.visits = 'many';
  // @ts-expect-error a cart has lines
  session.cart = { items: [] };
  // @ts-expect-error the declared item may be missing
  const sure: Cart = session.cart;
  session.cookie.maxAge = 30 * 24 * 60 * 60_000;
  // @ts-expect-error maxAge is in milliseconds
  session.cookie.maxAge = '30d';
  await session.changeId();
  void [cart, sure];
}

const app = express();
app.use(sessionMiddleware({ store }));
app.get('/', (req, res) => {
  const lines: string[] | undefined = req.session.cart?.lines;
  // @ts-expect-error visits is a number
  req.session.visits = 'many';
  req.session.cookie.maxAge = 60_000;
  res.json({ lines });
});

export async function fastify(): Promise<void> {
  const server = Fastify();
  await server.register(fastifySession, { store });
  server.get('/', async (request) => {
    request.session.visits = (request.session.visits ?? 0) + 1;
    // @ts-expect-error visits is a number
    request.session.visits = 'many';
    return { lines: request.session.cart?.lines ?? [] };
  });
}
