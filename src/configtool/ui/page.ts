// The pages of the browser tool: the Session tab, and the page that refuses a
// request without the printed URL. Server-rendered HTML in the web kit's page shell,
// every value escaped; the style and the script (`browser/session-page.ts`) are
// inline (no asset from the network) and allowed by a per-response CSP nonce.
import {
  type AppliedState,
  type ConfigLocation,
  describeSource,
  PLATFORM_DATABASE_SETTINGS,
  REDIS_ADVANCED_OPTION_NAMES,
  REDIS_SETTINGS,
  type RedisAdvancedOption,
  SESSION_PROVIDER_LABELS,
  SESSION_PROVIDERS,
  type SessionProviderName,
  type SettingSpec,
  shownDefault,
  specOf,
} from '../../config/index.ts';
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
        <label for="hosts">${redisLabel('hosts')}</label>
        <input id="hosts" name="hosts" type="text" value="${view.hosts}" autocomplete="off" autocapitalize="off" spellcheck="false" aria-describedby="hosts-hint" placeholder="redis1.example.com:6380, redis2.example.com:6380">
        <p id="hosts-hint" class="hint"><code>host:port</code>, comma-separated (<code>[2001:db8::1]:6380</code> for IPv6). No port: 6380 with Use SSL, else 6379.</p>
        <p id="hosts-error" class="field-error" hidden></p>
      </div>

      <div class="field" id="password-field" data-password-set="${view.passwordSet ? 'true' : 'false'}">
        <label for="password" id="password-label">${redisLabel('password')}</label>
        ${storedPassword('password', view, 'Empty: none.')}
      </div>

      <div class="field">
        <label for="user">${redisLabel('user')}</label>
        <input id="user" name="user" type="text" value="${view.user}" autocomplete="off" autocapitalize="off" spellcheck="false" aria-describedby="user-hint" placeholder="default">
        <p id="user-hint" class="hint">Empty: ${shownDefault(specOf(REDIS_SETTINGS, 'user'))}.</p>
        <p id="user-error" class="field-error" hidden></p>
      </div>

      <div class="field checkbox">
        <input id="useSsl" name="useSsl" type="checkbox"${checked(view.useSsl)} aria-describedby="useSsl-hint">
        <label for="useSsl">${redisLabel('useSsl')}</label>
        <p id="useSsl-hint" class="hint">Connect over TLS with this server's client certificate (<code>SERedis_*</code>).</p>
        <p id="useSsl-error" class="field-error" hidden></p>
      </div>

      <div class="field">
        <label for="sslHost">${redisLabel('sslHost')} <span class="optional">optional</span></label>
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
        <label for="dbPath">${databaseSpec('path').label} <span class="optional">optional</span></label>
        <input id="dbPath" name="dbPath" type="text" value="${view.path}" autocomplete="off" autocapitalize="off" spellcheck="false" aria-describedby="dbPath-hint" placeholder="${shownDefault(databaseSpec('path'))}">
        ${databaseHint('path', 'dbPath')}
        <p id="dbPath-error" class="field-error" hidden></p>
      </div>
    </fieldset>

    <fieldset id="postgres-settings" class="redis">
      <legend>PostgreSQL</legend>
      ${databaseField('host', 'dbHost', view.host, { placeholder: 'db.example.com' })}
      ${databaseField('port', 'dbPort', view.port, { numeric: true, placeholder: `${shownDefault(databaseSpec('port'))} (default)` })}
      ${databaseField('database', 'dbDatabase', view.database)}
      ${databaseField('user', 'dbUser', view.user)}
      <div class="field" id="dbPassword-field">
        <label for="dbPassword">${databaseSpec('password').label}</label>
        ${storedPassword('dbPassword', view, 'Empty: none (PGPASSWORD is then used).')}
      </div>
      <div class="field checkbox">
        <input id="dbSsl" name="dbSsl" type="checkbox"${checked(view.ssl)} aria-describedby="dbSsl-hint">
        <label for="dbSsl">${databaseSpec('ssl').label}</label>
        ${databaseHint('ssl', 'dbSsl')}
        <p id="dbSsl-error" class="field-error" hidden></p>
      </div>
    </fieldset>
  </div>`;
}

/** The label of a Redis setting, from its table. */
/**
 * The controls of a stored password (the Redis one, the platform database's): set
 * (Replace, Clear), cleared (Undo), or being typed (Keep the stored one); never its
 * value. `id` names the input; `whenEmpty` says what an empty one means.
 */
function storedPassword(
  id: string,
  view: { readonly passwordSet: boolean; readonly passwordInPlainText: boolean },
  whenEmpty: string,
): SafeHtml {
  return html`<div id="${id}-stored" class="stored"${view.passwordSet ? '' : ' hidden'}>
          <span class="stored-state"><span class="mark" aria-hidden="true">●</span> A password is set</span>
          <button type="button" class="link-button" id="${id}-replace" aria-describedby="${id}-hint">Replace</button>
          <button type="button" class="link-button" id="${id}-clear">Clear</button>
        </div>
        <div id="${id}-cleared" class="stored" hidden>
          <span class="stored-state">No password: the stored one is removed on Apply.</span>
          <button type="button" class="link-button" id="${id}-undo">Undo</button>
        </div>
        <div id="${id}-entry" class="with-button"${view.passwordSet ? ' hidden' : ''}>
          <input id="${id}" name="${id}" type="password" autocomplete="new-password" aria-describedby="${id}-hint">
          <button type="button" class="link-button" id="${id}-keep" hidden>Keep the stored one</button>
        </div>
        <p id="${id}-hint" class="hint">${
          view.passwordSet
            ? view.passwordInPlainText
              ? 'In plain text in the file: encrypted on Apply. Never shown.'
              : 'Stored encrypted. Never shown.'
            : `Stored encrypted, never shown again. ${whenEmpty}`
        }</p>
        <p id="${id}-error" class="field-error" hidden></p>`;
}

function redisLabel(field: string): string {
  return specOf(REDIS_SETTINGS, field).label;
}

function databaseSpec(field: string): SettingSpec {
  return specOf(PLATFORM_DATABASE_SETTINGS, field);
}

/** The hint of a platform database setting's field (`id`): what it is, and what applies when it is empty. */
/** A text field of the PostgreSQL settings: label, input, hint and error place. */
function databaseField(
  field: string,
  id: string,
  value: string,
  options: { readonly numeric?: boolean; readonly placeholder?: string } = {},
): SafeHtml {
  const typing = options.numeric
    ? html`inputmode="numeric" value="${value}" autocomplete="off"`
    : html`value="${value}" autocomplete="off" autocapitalize="off" spellcheck="false"`;
  const placeholder = options.placeholder === undefined ? null : html` placeholder="${options.placeholder}"`;
  return html`<div class="field">
        <label for="${id}">${databaseSpec(field).label}</label>
        <input id="${id}" name="${id}" type="text" ${typing} aria-describedby="${id}-hint"${placeholder}>
        ${databaseHint(field, id)}
        <p id="${id}-error" class="field-error" hidden></p>
      </div>`;
}

function databaseHint(field: string, id: string): SafeHtml {
  const spec = databaseSpec(field);
  const fallback = shownDefault(spec);
  const empty = fallback !== undefined && spec.kind !== 'switch' ? ` Empty: ${fallback}.` : '';
  return html`<p id="${id}-hint" class="hint">${capitalize(spec.help)}.${empty}</p>`;
}

/** An advanced option's field: its label, hint and default from the settings table. */
function advancedField(name: RedisAdvancedOption, value: string): SafeHtml {
  const spec = specOf(REDIS_SETTINGS, name);
  const fallback = shownDefault(spec);
  const hint = html`<p id="${name}-hint" class="hint">${capitalize(spec.help)}. <code>${spec.key ?? name}=</code></p>`;
  const error = html`<p id="${name}-error" class="field-error" hidden></p>`;
  if (spec.kind === 'boolean') {
    return html`
          <div class="field">
            <label for="${name}">${spec.label}</label>
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
            <label for="${name}">${spec.label}</label>
            <input id="${name}" name="${name}" data-advanced type="text"${spec.kind === 'integer' ? html` inputmode="numeric"` : null} value="${value}" placeholder="${fallback === undefined ? 'not set' : `${String(fallback)} (default)`}" autocomplete="off" spellcheck="false" aria-describedby="${name}-hint">
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
