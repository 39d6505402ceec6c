/**
 * The pages of Service Center: server-rendered in the web kit's page shell (the
 * Configuration Tool's look), every value escaped, forms that work without script
 * (each carries the session's CSRF token), and two page scripts: one follows a
 * running operation live, the other sends a module package from Factory > Modules.
 */
import type { UserRole } from '../../platform/index.ts';
import { html, pageHeader, pageScript, renderPage, type SafeHtml } from '../../web/index.ts';
import type { FactoryView } from '../factory-view.ts';
import type { FarmView, FrontendNotes } from '../farm-view.ts';
import type { OperationView } from '../operation-view.ts';
import type { Attention, SolutionView } from '../service-center.ts';
import { SERVICE_CENTER_BASE } from './routes.ts';

const OPERATION_SCRIPT_URL = new URL('./browser/console-page.js', import.meta.url);
const PUBLISH_SCRIPT_URL = new URL('./browser/publish-form.js', import.meta.url);

/** Who is signed in, and what every page of the console needs. */
export interface PageContext {
  readonly nonce: string;
  readonly csrf: string;
  readonly frontendName: string;
  readonly user: string;
  readonly role: UserRole;
  readonly attention: readonly Attention[];
}

type Section =
  | 'factory/modules'
  | 'factory/applications'
  | 'factory/solutions'
  | 'operations'
  | 'monitoring/frontends'
  | 'audit';

const NAV: readonly { readonly group: string; readonly items: readonly [Section, string][] }[] = [
  {
    group: 'Factory',
    items: [
      ['factory/modules', 'Modules'],
      ['factory/applications', 'Applications'],
      ['factory/solutions', 'Solutions'],
    ],
  },
  { group: 'Operations', items: [['operations', 'History']] },
  {
    group: 'Monitoring',
    items: [
      ['monitoring/frontends', 'Front-end servers'],
      ['audit', 'Audit log'],
    ],
  },
];

export function link(path: string): string {
  return `${SERVICE_CENTER_BASE}/${path}`;
}

function segment(name: string): string {
  return encodeURIComponent(name);
}

function csrfField(context: { readonly csrf: string }): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${context.csrf}">`;
}

function layout(
  context: PageContext,
  section: Section,
  title: string,
  content: SafeHtml,
  options: { state?: unknown; script?: URL } = {},
): string {
  const header = pageHeader(
    'Service Center',
    html`<div><dt>Served by front-end server</dt><dd>${context.frontendName}</dd></div>`,
    html`<div class="signed-in"><span>Signed in as <strong>${context.user}</strong> (${context.role})</span>
    <form method="post" action="${link('logout')}">${csrfField(context)}<button type="submit" class="button small">Log out</button></form></div>`,
  );
  const nav = html`<nav class="console-nav" aria-label="Service Center">
  ${NAV.map(
    (group) =>
      html`<div class="group"><span class="group-label">${group.group}</span>${group.items.map(
        ([path, label]) =>
          html`<a href="${link(path)}"${section === path ? html` aria-current="page"` : null}>${label}</a>`,
      )}</div>`,
  )}
</nav>`;
  const body = html`${nav}
<main id="main">
${banner(context.attention)}
${content}
</main>`;
  return renderPage({
    nonce: context.nonce,
    title,
    console: 'Service Center',
    csrf: context.csrf,
    header,
    body,
    ...(options.state === undefined
      ? {}
      : { state: options.state, script: pageScript(options.script ?? OPERATION_SCRIPT_URL) }),
  });
}

function banner(items: readonly Attention[]): SafeHtml | null {
  if (items.length === 0) return null;
  return html`<section class="banner" role="status" aria-labelledby="banner-title">
  <strong id="banner-title">Needs your attention</strong>
  <ul>${items.map((item) => html`<li>${item.message} <a href="${link(item.page)}">Open</a></li>`)}</ul>
</section>`;
}

function state(value: string): SafeHtml {
  return html`<span class="state is-${value}">${value}</span>`;
}

function time(iso: string | null): SafeHtml | string {
  return iso === null ? '–' : html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 19)} UTC</time>`;
}

function canChange(context: PageContext): boolean {
  return context.role !== 'viewer';
}

// --- pages -------------------------------------------------------------------

export function modulesPage(context: PageContext, factory: FactoryView): string {
  return layout(
    context,
    'factory/modules',
    'Modules',
    html`<div class="page-title"><h2>Factory › Modules</h2></div>
<div class="stack">
${
  canChange(context)
    ? html`<section class="card" aria-labelledby="publish-title">
<h3 id="publish-title">Publish a module</h3>
<form id="publish-form" class="inline-form">
<div class="field"><label for="module-file">Module package (.tgz)</label><input type="file" id="module-file" name="module" accept=".tgz,application/gzip" required aria-describedby="publish-hint publish-status"></div>
<button type="submit" class="button primary" id="publish-module">Publish</button>
</form>
<p class="hint" id="publish-hint">A <code>.tgz</code> of the module's folder (<code>npm pack</code>), at most 200 MB. It is checked, stored as the module's next version, made its running version and deployed to every front-end server that is up; you then follow the operation.</p>
<p id="publish-status" role="status" aria-live="polite"></p>
<noscript><p class="hint">Publishing from this page needs JavaScript; without it, use <code>tessera module publish FILE</code>.</p></noscript>
</section>`
    : null
}
<div class="card table-wrap">
<table class="grid" id="modules">
<caption class="visually-hidden">Every module of the factory, with what each front-end server runs</caption>
<thead><tr><th scope="col">Module</th><th scope="col">Application</th><th scope="col">Running version</th><th scope="col">Published</th><th scope="col">On the front-end servers</th></tr></thead>
<tbody>
${factory.modules.length === 0 ? html`<tr><td colspan="5">No module yet: publish one${canChange(context) ? ' above, or' : ''} with <code>tessera module publish FOLDER</code>.</td></tr>` : null}
${factory.modules.map(
  (module) => html`<tr${module.frontends.some((fe) => fe.settingsPending) ? html` class="is-flagged"` : null}>
<th scope="row">${module.name}</th><td>${module.application}</td>
<td>${module.runningVersion ?? '–'}</td>
<td>${module.publishedBy === null ? '–' : html`${module.publishedBy}, ${time(module.publishedAt)}`}</td>
<td>${module.frontends.length === 0 ? 'No front-end server registered.' : null}<ul class="plain">${module.frontends.map(
    (fe) =>
      html`<li><strong>${fe.frontend}</strong>: ${fe.deployedVersion === null ? 'not deployed' : `version ${fe.deployedVersion}`}${fe.settingsRevision === null ? null : `, settings revision ${fe.settingsRevision}`} ${fe.settingsPending ? state('settings pending') : null}${fe.difference === null ? null : html`<p class="flag">${fe.difference}</p>`}</li>`,
  )}</ul></td></tr>`,
)}
</tbody></table></div>
</div>`,
    canChange(context)
      ? {
          state: { api: link('api/modules'), operations: link('operations/') },
          script: PUBLISH_SCRIPT_URL,
        }
      : {},
  );
}

export function applicationsPage(context: PageContext, factory: FactoryView): string {
  return layout(
    context,
    'factory/applications',
    'Applications',
    html`<div class="page-title"><h2>Factory › Applications</h2></div>
<div class="card table-wrap">
<table class="grid" id="applications">
<thead><tr><th scope="col">Application</th><th scope="col">Modules</th><th scope="col">Running versions</th><th scope="col">Settings</th></tr></thead>
<tbody>
${factory.applications.length === 0 ? html`<tr><td colspan="4">No application yet.</td></tr>` : null}
${factory.applications.map((application) => {
  const modules = factory.modules.filter((m) => m.application === application.name);
  const pending = modules.filter((m) => m.frontends.some((fe) => fe.settingsPending));
  return html`<tr${pending.length > 0 ? html` class="is-flagged"` : null}><th scope="row">${application.name}</th>
<td>${application.modules.join(', ')}</td>
<td>${modules.map((m) => `${m.name} ${m.runningVersion ?? '–'}`).join(', ')}</td>
<td>${pending.length > 0 ? html`${state('settings pending')} ${pending.map((m) => m.name).join(', ')}` : 'up to date'}</td></tr>`;
})}
</tbody></table></div>`,
  );
}

export function solutionsPage(
  context: PageContext,
  solutions: readonly { readonly name: string; readonly modules: readonly string[] }[],
): string {
  return layout(
    context,
    'factory/solutions',
    'Solutions',
    html`<div class="page-title"><h2>Factory › Solutions</h2></div>
<div class="stack">
${
  canChange(context)
    ? html`<section class="card" aria-labelledby="new-solution-title">
<h3 id="new-solution-title">New Solution</h3>
<form method="post" action="${link('factory/solutions')}" class="inline-form">
${csrfField(context)}
<div class="field"><label for="solution-name">Name</label><input type="text" id="solution-name" name="name" required maxlength="100" autocomplete="off"></div>
<div class="field checkbox-inline"><label><input type="checkbox" name="allModules" value="true"> With all the modules in the factory</label></div>
<button type="submit" class="button primary" id="new-solution">New Solution</button>
</form></section>`
    : null
}
<div class="card table-wrap">
<table class="grid" id="solutions">
<thead><tr><th scope="col">Solution</th><th scope="col">Modules</th></tr></thead>
<tbody>
${solutions.length === 0 ? html`<tr><td colspan="2">No solution yet${canChange(context) ? ': create one above, with all the modules in the factory for step 3.' : '.'}</td></tr>` : null}
${solutions.map(
  (solution) =>
    html`<tr><th scope="row"><a href="${link(`factory/solutions/${segment(solution.name)}`)}">${solution.name}</a></th><td>${solution.modules.length === 0 ? 'none' : solution.modules.join(', ')}</td></tr>`,
)}
</tbody></table></div></div>`,
  );
}

export function solutionPage(
  context: PageContext,
  solution: SolutionView,
  factoryModules: readonly string[],
): string {
  const base = link(`factory/solutions/${segment(solution.name)}`);
  const missing = factoryModules.filter((m) => !solution.modules.some((s) => s.name === m));
  const running = solution.operations.find((op) => op.state === 'pending' || op.state === 'running');
  const change = canChange(context);
  return layout(
    context,
    'factory/solutions',
    solution.name,
    html`<div class="page-title"><h2>Factory › Solutions › ${solution.name}</h2></div>
<div class="stack">
<section class="card" aria-labelledby="modules-title">
<div class="card-head"><h3 id="modules-title">Modules</h3></div>
${solution.modules.length === 0 ? html`<p>This solution has no module yet.</p>` : null}
<table class="grid" id="solution-modules"><thead><tr><th scope="col">Module</th><th scope="col">Application</th><th scope="col">Running version</th>${change ? html`<th scope="col"><span class="visually-hidden">Remove</span></th>` : null}</tr></thead><tbody>
${solution.modules.map(
  (module) =>
    html`<tr><th scope="row">${module.name}</th><td>${module.application}</td><td>${module.runningVersion ?? '–'}</td>${
      change
        ? html`<td><form method="post" action="${base}/modules/remove">${csrfField(context)}<input type="hidden" name="modules" value="${module.name}"><button type="submit" class="link-button">Remove ${module.name}</button></form></td>`
        : null
    }</tr>`,
)}
</tbody></table>
${
  change
    ? html`<div class="actions-row">
<form method="post" action="${base}/associate-all-modules">${csrfField(context)}<button type="submit" class="button" id="associate-all"${missing.length === 0 ? html` title="Every module of the factory is in this solution"` : null}>Associate All Modules</button></form>
${
  missing.length > 0
    ? html`<form method="post" action="${base}/modules" class="inline-form">${csrfField(context)}<label class="visually-hidden" for="add-module">Module to add</label><select id="add-module" name="modules">${missing.map((m) => html`<option>${m}</option>`)}</select><button type="submit" class="button">Add module</button></form>`
    : null
}
</div>`
    : null
}
</section>
<section class="card" aria-labelledby="deploy-title">
<h3 id="deploy-title">Settings and deployment</h3>
<p class="hint">Apply Settings regenerates these modules' configuration from each front-end server's applied server configuration and reloads them, with no failed request. Republish redeploys their running versions: needed when the session provider itself changed.</p>
${running === undefined ? null : html`<p class="flag">Operation <a href="${link(`operations/${running.id}`)}">${running.id}</a> (${running.label}) is ${running.state}: a new one can start when it ends.</p>`}
${
  change
    ? html`<div class="actions-row">
<form method="post" action="${base}/apply-settings">${csrfField(context)}<button type="submit" class="button primary" id="apply-settings">Apply Settings</button></form>
<form method="post" action="${base}/republish">${csrfField(context)}<button type="submit" class="button secondary" id="republish">Republish</button></form>
</div>`
    : html`<p class="hint" id="viewer-note">Viewers see the solution; an administrator applies settings or republishes.</p>`
}
</section>
<section class="card" aria-labelledby="history-title">
<h3 id="history-title">Operations of this solution</h3>
${operationsTable(solution.operations)}
</section>
${
  change
    ? html`<section class="card" aria-labelledby="manage-title">
<h3 id="manage-title">Rename or delete</h3>
<div class="actions-row">
<form method="post" action="${base}/rename" class="inline-form">${csrfField(context)}<div class="field"><label for="new-name">New name</label><input type="text" id="new-name" name="name" required maxlength="100" value="${solution.name}"></div><button type="submit" class="button">Rename</button></form>
<form method="post" action="${base}/delete">${csrfField(context)}<button type="submit" class="button danger">Delete solution</button></form>
</div></section>`
    : null
}
</div>`,
  );
}

function operationsTable(operations: readonly OperationView[]): SafeHtml {
  if (operations.length === 0) return html`<p>No operation yet.</p>`;
  return html`<div class="table-wrap"><table class="grid operations"><thead><tr><th scope="col">Operation</th><th scope="col">Kind</th><th scope="col">Solution</th><th scope="col">Requested</th><th scope="col">State</th><th scope="col">Summary</th></tr></thead><tbody>
${operations.map(
  (op) =>
    html`<tr${op.state === 'failed' ? html` class="is-flagged"` : null}><th scope="row"><a href="${link(`operations/${op.id}`)}">${op.id}</a></th><td>${op.label}</td><td>${op.solution ?? '–'}</td><td>${op.requestedBy}, ${time(op.requestedAt)}</td><td>${state(op.state)}</td><td>${op.summary}</td></tr>`,
)}
</tbody></table></div>`;
}

export function operationsPage(context: PageContext, operations: readonly OperationView[]): string {
  return layout(
    context,
    'operations',
    'Operations',
    html`<div class="page-title"><h2>Operations › History</h2></div><div class="card">${operationsTable(operations)}</div>`,
  );
}

export function operationPage(context: PageContext, operation: OperationView): string {
  return layout(
    context,
    'operations',
    `Operation ${operation.id}`,
    html`<div class="page-title"><h2>Operation ${operation.id}: ${operation.label}${operation.solution === null ? null : html` of <a href="${link(`factory/solutions/${segment(operation.solution)}`)}">${operation.solution}</a>`}</h2> <span id="operation-state">${state(operation.state)}</span></div>
<section class="card" aria-labelledby="progress-title">
<h3 id="progress-title">Progress per front-end server and module</h3>
<dl class="facts"><dt>Requested by</dt><dd>${operation.requestedBy}</dd><dt>Requested at</dt><dd>${time(operation.requestedAt)}</dd><dt>Ended at</dt><dd id="operation-finished">${time(operation.finishedAt)}</dd></dl>
<p id="operation-summary" class="operation-summary is-${operation.state}" role="status" aria-live="polite">${operation.summary}</p>
<ul id="operation-failures" class="failures"${operation.failures.length === 0 ? html` hidden` : null}>${operation.failures.map((f) => html`<li>${f}</li>`)}</ul>
<div class="table-wrap"><table class="grid" id="operation-steps"><thead><tr><th scope="col">Front-end server</th><th scope="col">Module</th><th scope="col">State</th><th scope="col">Error</th></tr></thead>
<tbody>${operation.steps.map(
      (step) =>
        html`<tr data-step="${step.frontend}/${step.module}"><td>${step.frontend}</td><td>${step.module}</td><td class="step-state">${state(step.state)}</td><td class="step-error error-text">${step.error ?? ''}</td></tr>`,
    )}</tbody></table></div>
</section>`,
    {
      state: {
        operationId: operation.id,
        events: link(`operations/${operation.id}/events`),
        state: operation.state,
      },
    },
  );
}

export function frontendsPage(
  context: PageContext,
  farm: { readonly view: FarmView; readonly notes: ReadonlyMap<string, FrontendNotes> },
): string {
  return layout(
    context,
    'monitoring/frontends',
    'Front-end servers',
    html`<div class="page-title"><h2>Monitoring › Front-end servers</h2>${farm.view.drift ? html`<span class="state is-bad">drift</span>` : html`<span class="state is-ok">configured alike</span>`}</div>
<div class="card table-wrap">
<table class="grid" id="frontends">
<thead><tr><th scope="col">Front-end server</th><th scope="col">State</th><th scope="col">Address</th><th scope="col">Version</th><th scope="col">Session Provider</th><th scope="col">Hosts</th><th scope="col">Use SSL</th><th scope="col">SSL Host</th><th scope="col">Client certificate</th></tr></thead>
<tbody>
${farm.view.frontends.length === 0 ? html`<tr><td colspan="9">No front-end server registered yet: start one with <code>tessera start</code>.</td></tr>` : null}
${farm.view.frontends.map((fe) => {
  const notes = farm.notes.get(fe.name);
  const flagged = fe.drift.length > 0 || (notes?.warnings.length ?? 0) > 0;
  const certificate = fe.session?.clientCertificate ?? null;
  return html`<tr${flagged ? html` class="is-flagged"` : null} data-frontend="${fe.name}">
<th scope="row">${fe.name}${fe.drift.map((d) => html`<p class="flag">Drift: ${d}</p>`)}${notes?.warnings.map((w) => html`<p class="flag">${w}</p>`)}</th>
<td>${state(fe.state)}${notes?.downSinceMs ? html`<br><span class="hint">since ${time(new Date(notes.downSinceMs).toISOString())}</span>` : null}</td>
<td><code>${fe.address}</code></td><td>${fe.version ?? '–'}</td>
<td>${fe.session?.provider ?? 'unknown'}</td>
<td>${fe.session === null || fe.session.hosts.length === 0 ? '–' : html`<code>${fe.session.hosts.join(', ')}</code>`}</td>
<td>${fe.session === null ? '–' : fe.session.useSsl ? 'on' : 'off'}</td>
<td>${fe.session?.useSsl ? (fe.session.sslHost ?? "each host's own name") : '–'}</td>
<td>${certificate === null ? '–' : html`${certificate.subject}<br><span class="hint">issuer ${certificate.issuer}; expires ${certificate.notAfter.slice(0, 10)}</span>`}</td>
</tr>`;
})}
</tbody></table></div>
<p class="hint">Every front-end server reports the fingerprint of the session settings it runs (no secret). They should be the same on every server: a difference is drift.</p>`,
  );
}

export function auditPage(
  context: PageContext,
  entries: readonly { at: string; user: string; action: string; target: string; detail: string | null }[],
): string {
  return layout(
    context,
    'audit',
    'Audit log',
    html`<div class="page-title"><h2>Monitoring › Audit log</h2></div>
<div class="card table-wrap"><table class="grid" id="audit"><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">On</th><th scope="col">Details (from where)</th></tr></thead><tbody>
${entries.map((e) => html`<tr><td>${time(e.at)}</td><td>${e.user}</td><td>${e.action}</td><td>${e.target}</td><td>${e.detail ?? ''}</td></tr>`)}
</tbody></table></div>`,
  );
}

export function errorPage(
  context: PageContext | null,
  nonce: string,
  status: number,
  message: string,
): string {
  const content = html`<section class="card refused"><h2>${status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Not done'}</h2><p class="error-box" role="alert">${message}</p><p><a href="${link('factory/solutions')}">Back to Factory › Solutions</a></p></section>`;
  if (context === null)
    return renderPage({
      nonce,
      title: 'Not done',
      console: 'Service Center',
      body: html`<main>${content}</main>`,
    });
  return layout(context, 'factory/solutions', 'Not done', content);
}

export function loginPage(input: {
  readonly nonce: string;
  readonly frontendName: string;
  readonly next: string;
  readonly error: string | null;
  readonly name: string;
}): string {
  return renderPage({
    nonce: input.nonce,
    title: 'Log in',
    console: 'Service Center',
    header: pageHeader(
      'Service Center',
      html`<div><dt>Served by front-end server</dt><dd>${input.frontendName}</dd></div>`,
    ),
    body: html`<main id="main"><section class="card login" aria-labelledby="login-title">
<h2 id="login-title">Log in</h2>
<p class="lead">Service Center users only. The first administrator's password was printed when the platform first started; <code>tessera servicecenter user reset-password NAME</code> gives a new one.</p>
${input.error === null ? null : html`<p class="error-box" role="alert" id="login-error">${input.error}</p>`}
<form method="post" action="${link('login')}">
<input type="hidden" name="next" value="${input.next}">
<div class="field"><label for="name">User name</label><input type="text" id="name" name="name" autocomplete="username" required value="${input.name}"${input.error === null ? html` autofocus` : null}></div>
<div class="field"><label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required${input.error === null ? null : html` autofocus`}></div>
<button type="submit" class="button primary" id="login-button">Log in</button>
</form></section></main>`,
  });
}
