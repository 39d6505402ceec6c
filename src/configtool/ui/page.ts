// The pages of the browser tool: the Session tab, and the page that refuses a
// request without the printed URL. Server-rendered HTML in the web kit's page shell,
// every value escaped; the style and the script (`browser/session-page.ts`) are
// inline (no asset from the network) and allowed by a per-response CSP nonce.
import {
  type AppliedState,
  type ConfigLocation,
  describeSource,
  REDIS_ADVANCED_OPTION_NAMES,
  REDIS_ADVANCED_OPTIONS,
  type RedisAdvancedOption,
  SESSION_PROVIDER_LABELS,
  SESSION_PROVIDERS,
  type SessionProviderName,
} from '../../config/index.ts';
import { CONNECTION_STRING_DEFAULTS } from '../../redis/index.ts';
import { html, pageHeader, pageScript, renderPage, type SafeHtml } from '../../web/index.ts';
import type { DatabaseFormView } from './database-form.ts';
import type { SessionFormView } from './session-form.ts';

export interface SessionPageInput {
  readonly nonce: string;
  readonly csrf: string;
  /** This page load's id, sent back with Apply and Exit. */
  readonly pageId: string;
  readonly serverName: string;
  readonly location: ConfigLocation;
  readonly exists: boolean;
  readonly view: SessionFormView;
  readonly database: DatabaseFormView;
  readonly applied: { readonly revision: number; readonly at: string; readonly state: AppliedState } | null;
  readonly certificates: SafeHtml;
}

const SCRIPT_URL = new URL('./browser/session-page.js', import.meta.url);

const PROVIDER_HINTS: Readonly<Record<SessionProviderName, string>> = {
  memory: "This server's process only",
  database: 'The platform database',
  redis: 'Redis 6+, shared by every server',
};

/** Labels of the advanced options, with their unit. */
const ADVANCED_LABELS: Readonly<Record<RedisAdvancedOption, string>> = {
  connectTimeoutMs: 'Connect timeout (ms)',
  syncTimeoutMs: 'Sync timeout (ms)',
  asyncTimeoutMs: 'Async timeout (ms)',
  defaultDatabase: 'Database',
  connectRetry: 'Connect retry',
  keepAliveSeconds: 'Keep-alive (s)',
  abortConnect: 'Abort connect',
  allowAdmin: 'Allow admin',
  clientName: 'Client name',
  serviceName: 'Sentinel service name',
  sslProtocols: 'SSL protocols',
};

export function renderSessionPage(input: SessionPageInput): string {
  const { view, location } = input;
  const header = pageHeader(
    'Configuration Tool',
    html`<div><dt>Front-end server</dt><dd>${input.serverName}</dd></div>
    <div><dt>Server configuration</dt><dd><code>${location.path}</code> <span class="hint">(${describeSource(location)}${input.exists ? '' : '; not created yet'})</span></dd></div>`,
  );
  const body = html`<nav class="tabs" aria-label="Configuration Tool">
  <button type="button" class="tab" id="tab-database" data-tab="database" aria-controls="database-panel">Platform Database</button>
  <button type="button" class="tab is-active" id="tab-session" data-tab="session" aria-controls="session-panel" aria-current="page">Session</button>
</nav>
<main id="main">
<div class="layout">
  <form id="session-form" class="card session" novalidate aria-labelledby="session-title">
    ${databasePanel(input.database)}
    <div id="session-panel" data-panel="session">
    <div class="card-head">
      <h2 id="session-title">Session</h2>
      ${appliedBadge(input.applied)}
    </div>
    <p class="lead">Where this front-end server keeps its users' session state.</p>
    <div id="form-summary" class="summary" role="alert" tabindex="-1" hidden></div>

    <fieldset class="providers" aria-describedby="provider-error">
      <legend>Session Provider</legend>
      <div class="choices">
        ${SESSION_PROVIDERS.map(
          (provider) => html`
        <label class="choice" for="provider-${provider}">
          <input type="radio" name="provider" id="provider-${provider}" value="${provider}"${checked(view.provider === provider)}>
          <span><strong>${SESSION_PROVIDER_LABELS[provider]}</strong><small>${PROVIDER_HINTS[provider]}</small></span>
        </label>`,
        )}
      </div>
      <p id="provider-error" class="field-error" hidden></p>
    </fieldset>

    <p id="provider-note-memory" class="note" data-provider-note="memory" hidden>In-memory sessions live in this server's process: they are lost when it restarts and are not shared with other front-end servers. Use this provider only with a single front-end server.</p>
    <p id="provider-note-database" class="note" data-provider-note="database" hidden>The Database session provider keeps sessions in the platform database and has no settings on this tab. It arrives with the platform database: until then, front-end servers cannot use it.</p>
    <p id="provider-note-kept" class="note subtle" hidden>The Redis settings stay saved as they are, for when you choose Redis again.</p>

    <fieldset id="redis-settings" class="redis">
      <legend>Redis</legend>
      <div class="field wide">
        <label for="hosts">Hosts</label>
        <input id="hosts" name="hosts" type="text" value="${view.hosts}" autocomplete="off" autocapitalize="off" spellcheck="false" aria-describedby="hosts-hint" placeholder="redis1.example.com:6380, redis2.example.com:6380">
        <p id="hosts-hint" class="hint"><code>host:port</code>, comma-separated (<code>[2001:db8::1]:6380</code> for IPv6). No port: 6380 with Use SSL, else 6379.</p>
        <p id="hosts-error" class="field-error" hidden></p>
      </div>

      <div class="field" id="password-field" data-password-set="${view.passwordSet ? 'true' : 'false'}">
        <label for="password" id="password-label">Password</label>
        <div id="password-stored" class="stored"${view.passwordSet ? '' : ' hidden'}>
          <span class="stored-state"><span class="mark" aria-hidden="true">●</span> A password is set</span>
          <button type="button" class="link-button" id="password-replace" aria-describedby="password-hint">Replace</button>
          <button type="button" class="link-button" id="password-clear">Clear</button>
        </div>
        <div id="password-cleared" class="stored" hidden>
          <span class="stored-state">No password: the stored one is removed on Apply.</span>
          <button type="button" class="link-button" id="password-undo">Undo</button>
        </div>
        <div id="password-entry" class="with-button"${view.passwordSet ? ' hidden' : ''}>
          <input id="password" name="password" type="password" autocomplete="new-password" aria-describedby="password-hint">
          <button type="button" class="link-button" id="password-keep" hidden>Keep the stored one</button>
        </div>
        <p id="password-hint" class="hint">${
          view.passwordSet
            ? view.passwordInPlainText
              ? 'In plain text in the file: encrypted on Apply. Never shown.'
              : 'Stored encrypted. Never shown.'
            : 'Stored encrypted, never shown again. Empty: none.'
        }</p>
        <p id="password-error" class="field-error" hidden></p>
      </div>

      <div class="field">
        <label for="user">ACL user</label>
        <input id="user" name="user" type="text" value="${view.user}" autocomplete="off" autocapitalize="off" spellcheck="false" aria-describedby="user-hint" placeholder="default">
        <p id="user-hint" class="hint">Empty: the default user.</p>
        <p id="user-error" class="field-error" hidden></p>
      </div>

      <div class="field checkbox">
        <input id="useSsl" name="useSsl" type="checkbox"${checked(view.useSsl)} aria-describedby="useSsl-hint">
        <label for="useSsl">Use SSL</label>
        <p id="useSsl-hint" class="hint">Connect over TLS with this server's client certificate (<code>SERedis_*</code>).</p>
        <p id="useSsl-error" class="field-error" hidden></p>
      </div>

      <div class="field">
        <label for="sslHost">SSL Host <span class="optional">optional</span></label>
        <input id="sslHost" name="sslHost" type="text" value="${view.sslHost}" autocomplete="off" autocapitalize="off" spellcheck="false" aria-describedby="sslHost-hint">
        <p id="sslHost-hint" class="hint">The name checked in the Redis server certificate. Empty: determined from the Hosts field.</p>
        <p id="sslHost-error" class="field-error" hidden></p>
      </div>

      <details id="advanced" class="advanced wide">
        <summary>Advanced options</summary>
        <p class="hint">Empty fields use the default shown. Each is an option of the connection string.</p>
        <div class="advanced-grid">
          ${REDIS_ADVANCED_OPTION_NAMES.map((name) => advancedField(name, view.advanced[name]))}
        </div>
        ${view.noEffect.length > 0 ? html`<p id="no-effect" class="hint">Accepted, no effect here (kept in the connection string): ${view.noEffect.join('; ')}.</p>` : null}
      </details>
    </fieldset>
    </div>

    <div class="actions">
      <button type="submit" id="test-button" class="button secondary" value="test">Test Connection</button>
      <button type="submit" id="apply-button" class="button primary" value="apply">Apply and Exit</button>
      <p id="status" class="status" role="status" aria-live="polite"></p>
    </div>

    <section id="results" class="results" aria-labelledby="results-title" hidden>
      <h3 id="results-title" tabindex="-1">Test Connection</h3>
      <p id="results-summary" class="results-summary"></p>
      <ol id="checks" class="checks"></ol>
    </section>
    <div id="outcome" class="outcome" role="alert" hidden></div>
  </form>

  <aside class="card certificates" aria-labelledby="certificates-title">
    <div class="card-head">
      <h2 id="certificates-title">This server's certificate variables</h2>
      <button type="button" id="certificates-refresh" class="button small">Refresh</button>
    </div>
    <p class="hint">Step 1 of the setup: set on every front-end server. Test Connection and the front-end server use them when Use SSL is on. The variables are read when the tool starts; Refresh reads the files again.</p>
    <div id="certificates-body" aria-live="polite">${input.certificates}</div>
  </aside>
</div>
</main>
`;
  return renderPage({
    nonce: input.nonce,
    title: 'Session',
    console: 'Configuration Tool',
    csrf: input.csrf,
    header,
    body,
    state: { passwordSet: view.passwordSet, dbPasswordSet: input.database.passwordSet, pageId: input.pageId },
    script: pageScript(SCRIPT_URL),
  });
}

/** The Platform Database tab: shown instead of the Session tab's fields; Test Connection and Apply and Exit are shared. */
function databasePanel(view: DatabaseFormView): SafeHtml {
  return html`<div id="database-panel" data-panel="database" hidden>
    <div class="card-head">
      <h2 id="database-title">Platform Database</h2>
    </div>
    <p class="lead">Where the platform keeps its data: one SQLite file for a single front-end server, or PostgreSQL 13+ shared by a farm.</p>
    <fieldset class="providers" aria-describedby="dbProvider-error">
      <legend>Database Provider</legend>
      <div class="choices">
        <label class="choice" for="dbProvider-sqlite">
          <input type="radio" name="dbProvider" id="dbProvider-sqlite" value="sqlite"${checked(view.provider === 'sqlite')}>
          <span><strong>SQLite</strong><small>One file, this server only</small></span>
        </label>
        <label class="choice" for="dbProvider-postgres">
          <input type="radio" name="dbProvider" id="dbProvider-postgres" value="postgres"${checked(view.provider === 'postgres')}>
          <span><strong>PostgreSQL</strong><small>13+, shared by every server</small></span>
        </label>
      </div>
      <p id="dbProvider-error" class="field-error" hidden></p>
    </fieldset>

    <fieldset id="sqlite-settings" class="redis">
      <legend>SQLite</legend>
      <div class="field wide">
        <label for="dbPath">File <span class="optional">optional</span></label>
        <input id="dbPath" name="dbPath" type="text" value="${view.path}" autocomplete="off" autocapitalize="off" spellcheck="false" aria-describedby="dbPath-hint" placeholder="platform.db beside the configuration file">
        <p id="dbPath-hint" class="hint">The whole path of the database file. Empty: <code>platform.db</code> in the folder of the server configuration.</p>
        <p id="dbPath-error" class="field-error" hidden></p>
      </div>
    </fieldset>

    <fieldset id="postgres-settings" class="redis">
      <legend>PostgreSQL</legend>
      <div class="field">
        <label for="dbHost">Host</label>
        <input id="dbHost" name="dbHost" type="text" value="${view.host}" autocomplete="off" autocapitalize="off" spellcheck="false" aria-describedby="dbHost-hint" placeholder="db.example.com">
        <p id="dbHost-hint" class="hint">A name or address, without port, user or scheme.</p>
        <p id="dbHost-error" class="field-error" hidden></p>
      </div>
      <div class="field">
        <label for="dbPort">Port</label>
        <input id="dbPort" name="dbPort" type="text" inputmode="numeric" value="${view.port}" autocomplete="off" aria-describedby="dbPort-hint" placeholder="5432 (default)">
        <p id="dbPort-hint" class="hint">Empty: 5432.</p>
        <p id="dbPort-error" class="field-error" hidden></p>
      </div>
      <div class="field">
        <label for="dbDatabase">Database</label>
        <input id="dbDatabase" name="dbDatabase" type="text" value="${view.database}" autocomplete="off" autocapitalize="off" spellcheck="false">
        <p id="dbDatabase-error" class="field-error" hidden></p>
      </div>
      <div class="field">
        <label for="dbUser">User</label>
        <input id="dbUser" name="dbUser" type="text" value="${view.user}" autocomplete="off" autocapitalize="off" spellcheck="false">
        <p id="dbUser-error" class="field-error" hidden></p>
      </div>
      <div class="field" id="dbPassword-field">
        <label for="dbPassword">Password</label>
        <div id="dbPassword-stored" class="stored"${view.passwordSet ? '' : ' hidden'}>
          <span class="stored-state"><span class="mark" aria-hidden="true">●</span> A password is set</span>
          <button type="button" class="link-button" id="dbPassword-replace" aria-describedby="dbPassword-hint">Replace</button>
          <button type="button" class="link-button" id="dbPassword-clear">Clear</button>
        </div>
        <div id="dbPassword-cleared" class="stored" hidden>
          <span class="stored-state">No password: the stored one is removed on Apply.</span>
          <button type="button" class="link-button" id="dbPassword-undo">Undo</button>
        </div>
        <div id="dbPassword-entry" class="with-button"${view.passwordSet ? ' hidden' : ''}>
          <input id="dbPassword" name="dbPassword" type="password" autocomplete="new-password" aria-describedby="dbPassword-hint">
          <button type="button" class="link-button" id="dbPassword-keep" hidden>Keep the stored one</button>
        </div>
        <p id="dbPassword-hint" class="hint">${
          view.passwordSet
            ? view.passwordInPlainText
              ? 'In plain text in the file: encrypted on Apply. Never shown.'
              : 'Stored encrypted. Never shown.'
            : 'Stored encrypted, never shown again. Empty: none (PGPASSWORD is then used).'
        }</p>
        <p id="dbPassword-error" class="field-error" hidden></p>
      </div>
      <div class="field checkbox">
        <input id="dbSsl" name="dbSsl" type="checkbox"${checked(view.ssl)} aria-describedby="dbSsl-hint">
        <label for="dbSsl">SSL</label>
        <p id="dbSsl-hint" class="hint">Connect over TLS, checking the server certificate against the system's trusted roots.</p>
        <p id="dbSsl-error" class="field-error" hidden></p>
      </div>
    </fieldset>
  </div>`;
}

function advancedField(name: RedisAdvancedOption, value: string): SafeHtml {
  const spec = REDIS_ADVANCED_OPTIONS[name];
  const defaults: Readonly<Record<string, unknown>> = CONNECTION_STRING_DEFAULTS;
  const fallback = defaults[name];
  const hint = html`<p id="${name}-hint" class="hint">${capitalize(spec.doc)}. <code>${spec.key}=</code></p>`;
  const error = html`<p id="${name}-error" class="field-error" hidden></p>`;
  if (spec.type === 'boolean') {
    return html`
          <div class="field">
            <label for="${name}">${ADVANCED_LABELS[name]}</label>
            <select id="${name}" name="${name}" data-advanced aria-describedby="${name}-hint">
              <option value=""${selected(value === '')}>Default (${String(fallback)})</option>
              <option value="true"${selected(value === 'true')}>true</option>
              <option value="false"${selected(value === 'false')}>false</option>
            </select>
            ${hint}${error}
          </div>`;
  }
  return html`
          <div class="field">
            <label for="${name}">${ADVANCED_LABELS[name]}</label>
            <input id="${name}" name="${name}" data-advanced type="text"${spec.type === 'integer' ? html` inputmode="numeric"` : null} value="${value}" placeholder="${fallback === undefined ? 'not set' : `${String(fallback)} (default)`}" autocomplete="off" spellcheck="false" aria-describedby="${name}-hint">
            ${hint}${error}
          </div>`;
}

function appliedBadge(applied: SessionPageInput['applied']): SafeHtml {
  if (applied === null) return html`<span class="badge">Never applied</span>`;
  const label: Record<AppliedState, string> = {
    never: '',
    current: 'applied',
    changed: 'changed since',
    unknown: 'applied',
  };
  return html`<span class="badge ${applied.state === 'changed' ? 'is-warning' : 'is-ok'}" title="Applied at ${applied.at}">Revision ${applied.revision} ${label[applied.state]}</span>`;
}

/**
 * The page for a request without the printed URL's token (403), or, with a
 * `title`, for a configuration that cannot be read.
 */
export function renderRefusedPage(nonce: string, reason: string, title?: string): string {
  return renderPage({
    nonce,
    title: title ?? 'Open the printed address',
    console: 'Configuration Tool',
    body: html`<main class="refused card">
  <h1>${title ?? html`Open the address printed by <code>tessera config ui</code>`}</h1>
  <p>${reason}</p>
  ${
    title !== undefined
      ? html`<p>Correct the file (the message says how), then reload this page.</p>`
      : html`<p>This tool only answers the browser that opened the address printed in the terminal where <code>tessera config ui</code> runs (it holds a one-time token). If that address was already used, stop the tool (Ctrl-C) and start it again for a new one.</p>`
  }
</main>`,
  });
}

function checked(on: boolean): SafeHtml | null {
  return on ? html` checked` : null;
}

function selected(on: boolean): SafeHtml | null {
  return on ? html` selected` : null;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
