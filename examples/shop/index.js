/**
 * Tessera's example module: plain node:http, no dependencies.
 *
 *   GET  /shop/            the catalogue, the cart, who is signed in, which front-end answered
 *   POST /shop/login       signs in (the session id is regenerated: no session fixation)
 *   POST /shop/logout      signs out (the session is abandoned)
 *   POST /shop/cart        adds a product to the cart (kept in the session)
 *   POST /shop/cart/clear  empties the cart
 *   GET  /shop/frontend    which front-end server and worker answered, as JSON
 *
 * The front-end server gives every request `req.session` (loaded with the settings of
 * the Shop application), and `req.url` without the `/shop` prefix.
 */

const PRODUCTS = [
  { id: 'tea', name: 'Green tea', priceCents: 450 },
  { id: 'mug', name: 'Stoneware mug', priceCents: 1200 },
  { id: 'pot', name: 'Cast-iron teapot', priceCents: 3900 },
];
const MAX_BODY_BYTES = 4096;

export default function createModule(context) {
  const { basePath, frontend, log } = context;
  log.info({ settings: context.settings }, 'shop ready');

  const routes = {
    'GET /': (req, res) => page(res, home(req.session)),
    'GET /frontend': (_req, res) =>
      json(res, { frontend: frontend.name, pid: process.pid, module: context.name }),
    'POST /login': async (req, res) => {
      const user = (await form(req)).get('user')?.trim() ?? '';
      if (!/^[\p{L}\p{N} ._-]{1,40}$/u.test(user))
        return page(res, home(req.session, 'Give a name of 1 to 40 letters or digits.'), 400);
      // A new id at login: an id planted before it (session fixation) is worth nothing after.
      await req.session.regenerate();
      req.session.user = user;
      log.info({ user }, 'signed in');
      redirect(res);
    },
    'POST /logout': async (req, res) => {
      await req.session.abandon();
      redirect(res);
    },
    'POST /cart': async (req, res) => {
      const id = (await form(req)).get('product');
      const product = PRODUCTS.find((p) => p.id === id);
      if (!product) return page(res, home(req.session, 'There is no such product.'), 400);
      const cart = req.session.cart ?? {};
      cart[product.id] = (cart[product.id] ?? 0) + 1;
      req.session.cart = cart;
      redirect(res);
    },
    'POST /cart/clear': (req, res) => {
      delete req.session.cart;
      redirect(res);
    },
  };

  function home(session, problem) {
    const cart = session.cart ?? {};
    const lines = PRODUCTS.filter((p) => cart[p.id]).map((p) => ({ ...p, count: cart[p.id] }));
    const totalCents = lines.reduce((sum, line) => sum + line.count * line.priceCents, 0);
    return `
      <h1>Shop</h1>
      ${problem ? `<p class="problem">${escapeHtml(problem)}</p>` : ''}
      ${
        session.user
          ? `<form method="post" action="${basePath}logout">Signed in as <b>${escapeHtml(session.user)}</b> <button>Sign out</button></form>`
          : `<form method="post" action="${basePath}login"><label>Name <input name="user" required maxlength="40"></label> <button>Sign in</button></form>`
      }
      <h2>Catalogue</h2>
      <ul>${PRODUCTS.map(
        (p) => `<li><form method="post" action="${basePath}cart">${escapeHtml(p.name)}, ${money(p.priceCents)}
          <input type="hidden" name="product" value="${p.id}"> <button>Add to cart</button></form></li>`,
      ).join('')}</ul>
      <h2>Cart</h2>
      ${
        lines.length === 0
          ? '<p>Empty.</p>'
          : `<ul>${lines.map((l) => `<li>${l.count} × ${escapeHtml(l.name)}</li>`).join('')}</ul>
             <p>Total: <b>${money(totalCents)}</b></p>
             <form method="post" action="${basePath}cart/clear"><button>Empty the cart</button></form>`
      }`;
  }

  function page(res, body, status = 200) {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
      <style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
      .problem{color:#a00}footer{margin-top:2rem;color:#666;font-size:.9em}</style></head>
      <body>${body}<footer>Served by front-end server <b id="frontend">${escapeHtml(frontend.name)}</b>
      (worker ${process.pid}).</footer></body></html>`);
  }

  function redirect(res) {
    // 303: the browser follows with a GET, so reloading the page never posts twice.
    res.writeHead(303, { location: basePath });
    res.end();
  }

  return async (req, res) => {
    const path = new URL(req.url, 'http://shop').pathname;
    const route = routes[`${req.method} ${path}`];
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      return res.end('Not found\n');
    }
    await route(req, res);
  };
}

function json(res, value) {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(value)}\n`);
}

/** The fields of a small urlencoded form. */
async function form(req) {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > MAX_BODY_BYTES) break;
  }
  return new URLSearchParams(text.slice(0, MAX_BODY_BYTES));
}

function money(cents) {
  return `€${(cents / 100).toFixed(2)}`;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
