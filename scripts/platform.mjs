#!/usr/bin/env node
// `npm start`: the platform on its embedded defaults, in ./.tessera/ (created on the
// first run, reused after): one front-end server (memory sessions, SQLite platform
// database), with the example application examples/shop published on first run.
// `npm run farm` (`--farm`): two front-end servers on this machine sharing that
// SQLite database, to see a farm at work. Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(import.meta.dirname, '..');
const data = join(root, '.tessera');
const farm = process.argv.includes('--farm');
const tessera = join(root, 'bin', 'tessera.js');

const servers = farm
  ? [
      { name: 'web1', port: 8081, folder: join(data, 'farm', 'web1') },
      { name: 'web2', port: 8082, folder: join(data, 'farm', 'web2') },
    ]
  : [{ name: 'web1', port: 8080, folder: data }];

for (const server of servers) {
  const config = join(server.folder, 'server.json');
  if (existsSync(config)) continue;
  mkdirSync(server.folder, { recursive: true });
  writeFileSync(
    config,
    `${JSON.stringify(
      {
        version: 2,
        session: { provider: 'memory' },
        platformDatabase: { provider: 'sqlite', path: join(data, 'platform.db') },
        frontend: { name: server.name, port: server.port },
      },
      null,
      2,
    )}\n`,
  );
  console.log(`Created ${config} (memory sessions, SQLite platform database ${join(data, 'platform.db')}).`);
}

const children = [];
function run(args, config, options = {}) {
  const child = spawn(process.execPath, [tessera, ...args], {
    env: { ...process.env, TESSERA_CONFIG: config },
    stdio: options.stdio ?? 'inherit',
    // Their own process group: a Ctrl-C reaches them once, forwarded below, not also from the terminal
    // (a second signal would stop a front-end server at once instead of draining it).
    detached: true,
  });
  children.push(child);
  child.on('exit', () => children.splice(children.indexOf(child), 1));
  return child;
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill(stopping ? 'SIGKILL' : signal);
    stopping = true;
  });
}

const ready = await Promise.all(
  servers.map(
    (server) =>
      new Promise((resolveReady, reject) => {
        const child = run(['start', '--pretty'], join(server.folder, 'server.json'), {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let url;
        createInterface({ input: child.stdout }).on('line', (line) => {
          process.stdout.write(`${farm ? `[${server.name}] ` : ''}${line}\n`);
          const match = /^Front-end server \S+ ready at (\S+)$/.exec(line);
          if (match) {
            url = match[1];
            resolveReady({ ...server, url });
          }
        });
        child.on('exit', (code) => {
          if (url === undefined)
            reject(new Error(`front-end server ${server.name} exited (${code}) before it was ready`));
        });
      }),
  ),
).catch((error) => {
  console.error(`${error.message}. Is port ${servers.map((s) => s.port).join(' or ')} in use?`);
  for (const child of children) child.kill('SIGTERM');
  process.exit(1);
});

const config = join(servers[0].folder, 'server.json');
const listed = await new Promise((resolveList) => {
  let out = '';
  const child = run(['module', 'list', '--json'], config, { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  child.on('exit', () => resolveList(out));
});
const published = (() => {
  try {
    return JSON.parse(listed).modules.some((module) => module.name === 'shop');
  } catch {
    return false;
  }
})();
if (!published) {
  console.log('\nPublishing the example application (examples/shop):');
  await new Promise((resolveDone) =>
    run(['module', 'publish', join(root, 'examples', 'shop')], config).on('exit', resolveDone),
  );
}

console.log('');
for (const server of ready) {
  console.log(`${server.name}: the example application  ${new URL('/shop/', server.url)}`);
  console.log(
    `${' '.repeat(server.name.length)}  Service Center           ${new URL('/servicecenter/', server.url)}`,
  );
  console.log(
    `${' '.repeat(server.name.length)}  health                   ${new URL('/_tessera/health', server.url)}`,
  );
}
console.log(
  `\nData: ${data} (delete it to start afresh). Publish again after changing examples/shop:\n` +
    `  TESSERA_CONFIG=${config} node bin/tessera.js module publish examples/shop\n` +
    'Ctrl-C stops the platform.',
);
