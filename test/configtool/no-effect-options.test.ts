// Options of StackExchange.Redis accepted with no effect here (docs/redis-tls.md, "Every
// StackExchange.Redis option"): kept in the server configuration from the connection
// string given to `tessera config session`, written back into the connection string,
// and listed as "accepted, no effect here" by `tessera config show` and the Configuration
// Tool's page. asyncTimeout is kept too: it is honoured.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  loadConnectionStringFromConfig,
  readConfiguration,
  resolveConfigLocation,
  SESSION_PROVIDERS,
} from '../../src/config/index.ts';
import { databaseFormView } from '../../src/configtool/ui/database-form.ts';
import { renderSessionPage } from '../../src/configtool/ui/page.ts';
import { readSessionForm, sessionFormView } from '../../src/configtool/ui/session-form.ts';
import { SafeHtml } from '../../src/web/index.ts';
import { freshFolder } from '../config/helpers.ts';
import { runTessera } from './run-tessera.ts';

const STRING =
  'redis.example.com:6380,ssl=true,sslHost=redis.example.com,password=p4ss-word,asyncTimeout=8000,version=7.0,setlib=false';

async function configured(): Promise<string> {
  const path = join(freshFolder(), 'server.json');
  const outcome = await runTessera(['config', 'session', '--config', path, '--connection-string', STRING]);
  assert.equal(outcome.code, 0, outcome.stderr);
  return path;
}

describe('options accepted with no effect here, in the Configuration Tool', () => {
  it('keeps them and asyncTimeout in the server configuration, and writes them back into the connection string', async () => {
    const path = await configured();
    const written = await loadConnectionStringFromConfig(path, {});
    assert.equal(
      written,
      'redis.example.com:6380,password=p4ss-word,ssl=true,sslHost=redis.example.com,asyncTimeout=8000,version=7.0,setlib=false',
    );
  });

  it('lists them in `tessera config show`, text and JSON', async () => {
    const path = await configured();
    const text = await runTessera(['config', 'show', '--config', path]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /Other options +accepted, no effect here: version=7\.0 \(.+\)\n +accepted, no effect here: setlib=false \(/,
    );
    assert.match(text.stdout, /asyncTimeoutMs 8000/);
    const json = await runTessera(['config', 'show', '--config', path, '--json']);
    const report = JSON.parse(json.stdout) as { session: { redis: { noEffectOptions: unknown } } };
    assert.deepEqual(report.session.redis.noEffectOptions, { version: '7.0', setlib: 'false' });
  });

  it('lists them on the Session page, and keeps them when the form is saved', async () => {
    const path = await configured();
    const loaded = await readConfiguration(resolveConfigLocation({ path, env: {} }));
    const view = sessionFormView(loaded);
    assert.equal(view.noEffect.length, 2);
    const page = renderSessionPage({
      nonce: 'n',
      csrf: 'c',
      pageId: 'p',
      serverName: 'frontend-1',
      database: databaseFormView(loaded),
      location: loaded.location,
      exists: true,
      view,
      applied: null,
      certificates: new SafeHtml(''),
    });
    assert.match(
      page,
      /<p id="no-effect" class="hint">Accepted, no effect here \(kept in the connection string\): version=7\.0 \(/,
    );
    const reading = readSessionForm(
      {
        provider: SESSION_PROVIDERS[2],
        hosts: view.hosts,
        password: { action: 'keep' },
        user: view.user,
        useSsl: view.useSsl,
        sslHost: view.sslHost,
        advanced: {},
      },
      loaded.configuration.session,
    );
    assert.ok(reading.ok);
    assert.deepEqual(reading.session.redis?.noEffectOptions, { version: '7.0', setlib: 'false' });
  });

  it('refuses a configuration file whose noEffectOptions would change behaviour', async () => {
    const path = await configured();
    const file = JSON.parse(readFileSync(path, 'utf8'));
    file.session.redis.noEffectOptions = { tiebreaker: 'key' };
    writeFileSync(path, JSON.stringify(file));
    await assert.rejects(readConfiguration(resolveConfigLocation({ path, env: {} })), (error: Error) => {
      assert.match(error.message, /noEffectOptions: .*tiebreaker names a key/);
      return true;
    });
  });
});
