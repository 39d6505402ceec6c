/**
 * The one Express 5 application every contender serves; only the session layer in
 * front of it differs. Its routes use the session as a plain property bag, which
 * both `req.session` implementations are.
 *
 *   POST /seed?n=<i>&kb=<k>  stores a session: a user, a cart, a counter, and k items of 1 KB
 *   GET  /item               reads one item (the user)
 *   POST /item               changes one small item (increments the counter)
 */
import express, { type Express, type Request, type RequestHandler } from 'express';

/** The session items of a request. */
export type ItemsOf = (req: Request) => Record<string, unknown>;

/** Characters of each filler item of a large session (100 of them make the 100 KB session). */
export const FILLER_ITEM_CHARS = 1000;

export function createApp(session: RequestHandler | undefined, itemsOf: ItemsOf): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (session) app.use(session);

  app.post('/seed', (req, res) => {
    seedItems(itemsOf(req), Number(req.query.n ?? 0), Number(req.query.kb ?? 0));
    res.status(204).end();
  });
  app.get('/item', (req, res) => {
    res.json({ user: itemsOf(req).user });
  });
  app.post('/item', (req, res) => {
    const items = itemsOf(req);
    const counter = (typeof items.counter === 'number' ? items.counter : 0) + 1;
    items.counter = counter;
    res.json({ counter });
  });
  return app;
}

/** Fills a session: about 500 bytes of JSON, plus `kb` filler items of 1 KB each. */
export function seedItems(items: Record<string, unknown>, n: number, kb: number): void {
  items.user = {
    id: n,
    name: `user-${n}`,
    email: `user-${n}@example.com`,
    roles: ['customer', 'newsletter', 'beta'],
    locale: 'en-GB',
  };
  items.cart = Array.from({ length: 5 }, (_, i) => ({
    sku: `SKU-${n}-${i}`,
    quantity: i + 1,
    price: 9.99 + i,
  }));
  items.counter = 0;
  for (let i = 0; i < kb; i++) items[`filler${i}`] = filler(n, i);
}

/** Deterministic text that does not repeat within an item (no run-length shortcuts anywhere). */
function filler(n: number, i: number): string {
  let text = '';
  let state = (n * 1_000_003 + i * 7919 + 1) >>> 0;
  while (text.length < FILLER_ITEM_CHARS) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    text += state.toString(36);
  }
  return text.slice(0, FILLER_ITEM_CHARS);
}
