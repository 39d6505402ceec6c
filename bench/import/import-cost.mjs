/**
 * What `import 'tessera'` (and each subpath) costs an application: the modules it
 * loads and the time it takes, each measured in a fresh process.
 *
 *   npm run build && node bench/import/import-cost.mjs [specifier…]
 *
 * Modules are counted with a loader hook (every ES module and every CommonJS file
 * imported from one) plus `require.cache` (CommonJS files required by CommonJS
 * files); time is the wall time of the dynamic `import()`, the median of 15 runs.
 * `express-session` and `fastify` are reported as loaded or not.
 */
import { execFileSync } from 'node:child_process';

const specifiers = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['tessera'];
const RUNS = 15;

const COUNT = `
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const urls = new Set();
port1.on('message', (url) => urls.add(url));
port1.unref();
const hooks = 'let port; export function initialize(data) { port = data.port; } ' +
  'export async function load(url, context, next) { port.postMessage(url); return next(url, context); }';
register('data:text/javascript,' + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] });
await import(process.env.SPECIFIER);
await new Promise((resolve) => setTimeout(resolve, 50));
const cjs = Object.keys(createRequire(import.meta.url).cache).map((path) => 'file://' + path);
const all = new Set([...urls, ...cjs].filter((url) => url.startsWith('file:')));
const loaded = (name) => [...all].some((url) => url.includes('/node_modules/' + name + '/'));
console.log(JSON.stringify({ modules: all.size, expressSession: loaded('express-session'), fastify: loaded('fastify') }));
`;

const TIME = `
const start = performance.now();
await import(process.env.SPECIFIER);
console.log(performance.now() - start);
`;

for (const specifier of specifiers) {
  const env = { ...process.env, SPECIFIER: specifier };
  const run = (code) =>
    execFileSync(process.execPath, ['--input-type=module', '-e', code], { env }).toString();
  const counts = JSON.parse(run(COUNT));
  const times = Array.from({ length: RUNS }, () => Number(run(TIME))).sort((a, b) => a - b);
  const median = times[Math.floor(RUNS / 2)];
  console.log(
    `${specifier}: ${counts.modules} modules, ${median.toFixed(1)} ms (median of ${RUNS}); ` +
      `express-session ${counts.expressSession ? 'loaded' : 'not loaded'}, fastify ${counts.fastify ? 'loaded' : 'not loaded'}`,
  );
}
