// The script of the Configuration Tool's page (Session and Platform Database tabs).
// It shows and hides the provider's fields, keeps the SSL Host's placeholder in step
// with Hosts, validates with the server (the rules live there), streams Test
// Connection and Apply and Exit as newline-delimited JSON, and shows field errors
// beside their field. Everything it writes into the page is text (textContent),
// never HTML, except the certificate panel's fragment, which the server escaped.

/** An element of the page by id; every form control the script reads is an input-like element. */
function $(id: string): HTMLInputElement {
  return document.getElementById(id) as HTMLInputElement;
}

interface InitialState {
  readonly passwordSet: boolean;
  readonly dbPasswordSet: boolean;
  readonly pageId: string;
}

interface FieldError {
  readonly field: string;
  readonly message: string;
}

interface Check {
  readonly host: string | null;
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

interface Change {
  readonly field: string;
  readonly before: string;
  readonly now: string;
}

/** The events the server streams for Test Connection and Apply and Exit. */
type ProgressEvent =
  | { readonly type: 'check'; readonly check: Check }
  | { readonly type: 'tested'; readonly ok: boolean; readonly total: number; readonly failed: number }
  | { readonly type: 'refused' }
  | {
      readonly type: 'applied';
      readonly alreadyApplied: boolean;
      readonly revision: number;
      readonly at: string;
      readonly path: string;
      readonly forced: boolean;
      readonly nextSteps: string;
    }
  | { readonly type: 'changed'; readonly changes: readonly Change[] | null }
  | { readonly type: 'error'; readonly code?: string; readonly message: string };

type ErrorEvent = Extract<ProgressEvent, { type: 'error' }>;
type AppliedEvent = Extract<ProgressEvent, { type: 'applied' }>;
type TestedEvent = Extract<ProgressEvent, { type: 'tested' }>;

interface Answer {
  readonly message?: string;
  readonly errors?: readonly FieldError[];
}

type PasswordField = 'password' | 'dbPassword';
/**
 * 'stored': keep the stored password; 'replace': the field's value; 'cleared':
 * remove it. Without a stored password: 'entry' (an empty field means no password).
 */
type PasswordMode = 'stored' | 'replace' | 'cleared' | 'entry';

const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
const state = JSON.parse($('initial-state').textContent ?? '{}') as InitialState;
const form = document.getElementById('session-form') as HTMLFormElement;
const testButton = $('test-button');
const applyButton = $('apply-button');
const statusLine = $('status');
const results = $('results');
const checksList = $('checks');
const outcome = $('outcome');
const summary = $('form-summary');
const FIELD_LABELS: Readonly<Record<string, string>> = {
  provider: 'Session Provider',
  hosts: 'Hosts',
  password: 'Password',
  user: 'ACL user',
  useSsl: 'Use SSL',
  sslHost: 'SSL Host',
  applied: 'Applied',
  dbProvider: 'Database Provider',
  dbPath: 'SQLite file',
  dbHost: 'PostgreSQL host',
  dbPort: 'PostgreSQL port',
  dbDatabase: 'PostgreSQL database',
  dbUser: 'PostgreSQL user',
  dbPassword: 'PostgreSQL password',
  dbSsl: 'PostgreSQL Use SSL',
};
let busy = false;
let finished = false;
const passwordModes: Record<PasswordField, PasswordMode> = {
  password: state.passwordSet ? 'stored' : 'entry',
  dbPassword: state.dbPasswordSet ? 'stored' : 'entry',
};
// The tab shown: 'session' or 'database'. Test Connection tests the shown tab's settings.
let activeTab = 'session';

function checkedValue(name: string): string {
  const checked = form.querySelector<HTMLInputElement>(`input[name="${name}"]:checked`);
  return checked ? checked.value : '';
}

function provider(): string {
  return checkedValue('provider');
}

function dbProvider(): string {
  return checkedValue('dbProvider');
}

function hostNames(text: string): string[] {
  const names: string[] = [];
  text.split(/[\s,;]+/).forEach((entry) => {
    if (!entry) return;
    let name: string | undefined = entry;
    if (entry.charAt(0) === '[')
      name = entry.slice(1, entry.indexOf(']') > 0 ? entry.indexOf(']') : undefined);
    else if (entry.split(':').length === 2) name = entry.split(':')[0];
    if (name && names.indexOf(name) < 0) names.push(name);
  });
  return names;
}

function showTab(name: string): void {
  activeTab = name;
  document.querySelectorAll<HTMLElement>('[data-tab]').forEach((tab) => {
    const on = tab.getAttribute('data-tab') === name;
    tab.className = 'tab' + (on ? ' is-active' : '');
    if (on) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  });
  document.querySelectorAll<HTMLElement>('[data-panel]').forEach((panel) => {
    panel.hidden = panel.getAttribute('data-panel') !== name;
  });
  document.title = (name === 'database' ? 'Platform Database' : 'Session') + ' · Tessera Configuration Tool';
  results.hidden = true;
  updateProvider();
}

function updateProvider(): void {
  const postgres = dbProvider() === 'postgres';
  $('sqlite-settings').hidden = postgres;
  $('sqlite-settings').disabled = postgres;
  $('postgres-settings').hidden = !postgres;
  $('postgres-settings').disabled = !postgres;
  const chosen = provider();
  const redis = chosen === 'redis';
  $('redis-settings').hidden = !redis;
  $('redis-settings').disabled = !redis;
  document.querySelectorAll<HTMLElement>('[data-provider-note]').forEach((note) => {
    note.hidden = note.getAttribute('data-provider-note') !== chosen;
  });
  $('provider-note-kept').hidden = redis || !$('hosts').defaultValue;
  const testable = redis || activeTab === 'database';
  testButton.disabled = busy || finished || !testable;
  testButton.title = testable ? '' : 'Test Connection checks a Redis session store: choose Redis first.';
}

function updateSslHost(): void {
  const names = hostNames($('hosts').value);
  const useSsl = $('useSsl').checked;
  const sslHost = $('sslHost');
  sslHost.disabled = !useSsl;
  sslHost.placeholder = names.length ? names[0] + ' (from Hosts)' : 'determined from Hosts';
  let hint: string;
  if (!useSsl) hint = 'Used with Use SSL only.';
  else if (sslHost.value.trim())
    hint = 'Every server certificate must be valid for ' + sslHost.value.trim() + '.';
  else if (names.length > 1)
    hint = 'Empty: each host is checked against its own name: ' + names.join(', ') + '.';
  else if (names.length === 1)
    hint = 'Empty: the name ' + names[0] + ', from Hosts, is checked in the server certificate.';
  else hint = 'The name checked in the Redis server certificate. Empty: determined from the Hosts field.';
  $('sslHost-hint').textContent = hint;
}

// field: the id of the password input and the prefix of its controls.
function showPassword(field: PasswordField, mode: PasswordMode): void {
  passwordModes[field] = mode;
  $(field + '-stored').hidden = mode !== 'stored';
  $(field + '-cleared').hidden = mode !== 'cleared';
  $(field + '-entry').hidden = !(mode === 'replace' || mode === 'entry');
  $(field + '-keep').hidden = mode !== 'replace';
  if (mode !== 'replace' && mode !== 'entry') $(field).value = '';
  clearError(field);
}

function passwordValue(field: PasswordField) {
  const mode = passwordModes[field];
  if (mode === 'stored') return { action: 'keep' };
  if (mode === 'cleared') return { action: 'clear' };
  const value = $(field).value;
  if (mode === 'entry') return value ? { action: 'replace', value } : { action: 'clear' };
  return { action: 'replace', value };
}

function collectDatabase() {
  return {
    provider: dbProvider(),
    path: $('dbPath').value,
    host: $('dbHost').value,
    port: $('dbPort').value,
    database: $('dbDatabase').value,
    user: $('dbUser').value,
    password: passwordValue('dbPassword'),
    ssl: $('dbSsl').checked,
  };
}

function collect() {
  const advanced: Record<string, string> = {};
  form.querySelectorAll<HTMLInputElement>('[data-advanced]').forEach((input) => {
    advanced[input.name] = input.value;
  });
  return {
    provider: provider(),
    hosts: $('hosts').value,
    password: passwordValue('password'),
    user: $('user').value,
    useSsl: $('useSsl').checked,
    sslHost: $('sslHost').value,
    advanced,
  };
}

function isPasswordField(field: string): field is PasswordField {
  return field === 'password' || field === 'dbPassword';
}

function fieldElement(field: string): HTMLElement | null {
  if (field === 'provider')
    return form.querySelector<HTMLElement>('input[name="provider"]:checked') || $('provider-memory');
  if (field === 'dbProvider')
    return form.querySelector<HTMLElement>('input[name="dbProvider"]:checked') || $('dbProvider-sqlite');
  if (isPasswordField(field)) {
    if (passwordModes[field] === 'stored') return $(field + '-replace');
    if (passwordModes[field] === 'cleared') return $(field + '-undo');
    return $(field);
  }
  return $(field);
}

function labelOf(field: string): string {
  const known = FIELD_LABELS[field];
  if (known) return known;
  const label = form.querySelector(`label[for="${field}"]`);
  return label ? (label.textContent ?? '').trim() : field;
}

function describedBy(element: Element, id: string, on: boolean): void {
  let ids = (element.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
  ids = ids.filter((x) => x !== id);
  if (on) ids.push(id);
  if (ids.length) element.setAttribute('aria-describedby', ids.join(' '));
  else element.removeAttribute('aria-describedby');
}

function clearError(field: string): void {
  const error = $(field + '-error');
  if (error) {
    error.hidden = true;
    error.textContent = '';
  }
  const element = fieldElement(field);
  if (element) {
    element.removeAttribute('aria-invalid');
    describedBy(element, field + '-error', false);
  }
  if (isPasswordField(field)) {
    [field, field + '-replace', field + '-undo'].forEach((id) => {
      $(id).removeAttribute('aria-invalid');
      describedBy($(id), field + '-error', false);
    });
  }
}

function clearErrors(): void {
  form.querySelectorAll('.field-error').forEach((error) => {
    clearError(error.id.replace(/-error$/, ''));
  });
  summary.hidden = true;
  summary.textContent = '';
}

/** Marks each field with its error; with a summary (on Apply or Test) listing them. Returns the first field. */
function showErrors(errors: readonly FieldError[], withSummary: string | false): HTMLElement | null {
  clearErrors();
  let first: HTMLElement | null = null;
  errors.forEach((error) => {
    const element = fieldElement(error.field);
    const message = $(error.field + '-error');
    if (message) {
      message.textContent = error.message;
      message.hidden = false;
    }
    if (element) {
      element.setAttribute('aria-invalid', 'true');
      describedBy(element, error.field + '-error', true);
      const details = element.closest('details');
      if (details) details.open = true;
      const panel = element.closest<HTMLElement>('[data-panel]');
      if (!first && withSummary && panel?.hidden) showTab(panel.getAttribute('data-panel') ?? 'session');
      if (!first) first = element;
    }
  });
  if (withSummary && errors.length) {
    const title = document.createElement('p');
    title.textContent =
      withSummary +
      ' ' +
      (errors.length === 1 ? 'One field needs' : errors.length + ' fields need') +
      ' correcting:';
    const list = document.createElement('ul');
    errors.forEach((error) => {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = '#' + error.field;
      link.textContent = labelOf(error.field);
      link.addEventListener('click', (event) => {
        event.preventDefault();
        const element = fieldElement(error.field);
        if (element) element.focus();
      });
      item.appendChild(link);
      item.appendChild(document.createTextNode(': ' + error.message));
      list.appendChild(item);
    });
    summary.appendChild(title);
    summary.appendChild(list);
    summary.hidden = false;
  }
  return first;
}

function request(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { 'x-tessera-csrf': csrf };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? null : JSON.stringify(body),
  });
}

async function readEvents(response: Response, onEvent: (event: ProgressEvent) => void): Promise<void> {
  if (response.body === null) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    lines.forEach((line) => {
      if (line.trim()) onEvent(JSON.parse(line) as ProgressEvent);
    });
  }
  if (buffer.trim()) onEvent(JSON.parse(buffer) as ProgressEvent);
}

function setBusy(on: boolean, message?: string): void {
  busy = on;
  applyButton.disabled = on || finished;
  form.setAttribute('aria-busy', on ? 'true' : 'false');
  updateProvider();
  if (message !== undefined) statusLine.textContent = message;
}

let lastHost: string | null | undefined;
function resetResults(title: string): void {
  results.hidden = false;
  $('results-title').textContent = title;
  checksList.textContent = '';
  $('results-summary').textContent = 'Running…';
  $('results-summary').className = 'results-summary';
  outcome.hidden = true;
  outcome.textContent = '';
  lastHost = undefined;
}

function element(tag: string, className: string, text?: string): HTMLElement {
  const made = document.createElement(tag);
  made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}

function addCheck(check: Check): void {
  if (check.host !== null && check.host !== lastHost) {
    checksList.appendChild(element('li', 'host', check.host));
  }
  lastHost = check.host;
  const item = element('li', 'check ' + (check.ok ? 'is-ok' : 'is-bad'));
  const line = element('div', 'check-line');
  const mark = element('span', 'mark', check.ok ? '✔' : '✘');
  mark.setAttribute('aria-hidden', 'true');
  line.appendChild(mark);
  line.appendChild(element('span', 'visually-hidden', check.ok ? 'Passed: ' : 'Failed: '));
  line.appendChild(element('span', 'check-name', check.name));
  if (check.ok) line.appendChild(element('span', 'check-detail', check.detail));
  line.appendChild(element('span', 'check-ms', check.ms + ' ms'));
  item.appendChild(line);
  if (!check.ok) {
    const fix = element('div', 'fix');
    const label = document.createElement('strong');
    label.textContent = 'What is wrong and what to do';
    fix.appendChild(label);
    fix.appendChild(document.createTextNode(check.detail));
    item.appendChild(fix);
  }
  checksList.appendChild(item);
}

function showTested(event: TestedEvent): void {
  const line = $('results-summary');
  if (event.ok) {
    line.textContent = '✔ Test Connection passed: ' + event.total + ' checks.';
    line.className = 'results-summary is-ok';
  } else {
    line.textContent =
      '✘ Test Connection failed: ' +
      event.failed +
      ' of ' +
      event.total +
      ' checks. The fix is under the check marked ✘.';
    line.className = 'results-summary is-bad';
  }
}

function showOutcome(kind: string, paragraphs: readonly string[], extra?: HTMLElement | null): void {
  outcome.textContent = '';
  outcome.className = 'outcome ' + kind;
  paragraphs.forEach((text) => {
    const p = document.createElement('p');
    p.textContent = text;
    outcome.appendChild(p);
  });
  if (extra) outcome.appendChild(extra);
  outcome.hidden = false;
}

/** The settings someone else changed in the file: as this page was loaded, and now. */
function changesTable(changes: readonly Change[]): HTMLTableElement {
  const table = document.createElement('table');
  table.className = 'changes';
  table.id = 'file-changes';
  const caption = document.createElement('caption');
  caption.textContent = 'Changed in the file since this page was loaded';
  table.appendChild(caption);
  const head = table.createTHead().insertRow();
  ['Setting', 'When this page was loaded', 'In the file now'].forEach((text) => {
    const cell = document.createElement('th');
    cell.scope = 'col';
    cell.textContent = text;
    head.appendChild(cell);
  });
  const rows = table.createTBody();
  changes.forEach((change) => {
    const row = rows.insertRow();
    const name = document.createElement('th');
    name.scope = 'row';
    name.textContent = labelOf(change.field);
    row.appendChild(name);
    row.insertCell().textContent = change.before;
    row.insertCell().textContent = change.now;
  });
  return table;
}

// changes: the 'changed' event's list (undefined when there was none; null when the file cannot be read).
function showError(event: ErrorEvent, changes?: readonly Change[] | null): void {
  const texts = [event.code ? event.message + ' (' + event.code + ')' : event.message];
  let table: HTMLTableElement | null = null;
  if (event.code === 'TESSERA_CONFIG_CONCURRENT_WRITE') {
    if (changes === null) texts.push('The file cannot be read now: reloading this page shows why.');
    else if (changes && changes.length === 0) texts.push('No setting differs: the file was only rewritten.');
    else if (changes) table = changesTable(changes);
    texts.push('Reload this page to read the file anew, then make your changes again.');
  }
  showOutcome('is-bad', texts, table);
}

async function answerOf(response: Response): Promise<Answer> {
  try {
    return (await response.json()) as Answer;
  } catch {
    return { message: 'The tool answered ' + response.status + '.' };
  }
}

async function runTest(): Promise<void> {
  clearErrors();
  setBusy(true, 'Testing the connection…');
  try {
    const database = activeTab === 'database';
    const response = database
      ? await request('POST', '/api/database/test-connection', collectDatabase())
      : await request('POST', '/api/test-connection', collect());
    if (!response.ok) {
      const answer = await answerOf(response);
      if (answer.errors?.length) {
        const first = showErrors(answer.errors, 'Not tested.');
        statusLine.textContent = 'Not tested: correct the fields marked.';
        if (first) first.focus();
      } else {
        statusLine.textContent = answer.message || 'Test Connection could not run.';
      }
      return;
    }
    resetResults(database ? 'Test Connection: platform database' : 'Test Connection');
    let passed = false;
    await readEvents(response, (event) => {
      if (event.type === 'check') addCheck(event.check);
      else if (event.type === 'tested') {
        showTested(event);
        passed = event.ok;
      } else if (event.type === 'error') showError(event);
    });
    statusLine.textContent = passed
      ? 'Test Connection passed.'
      : 'Test Connection failed: see the check marked ✘.';
  } catch {
    statusLine.textContent = 'The Configuration Tool did not answer: is it still running?';
  } finally {
    setBusy(false);
  }
}

async function runApply(force: boolean): Promise<void> {
  clearErrors();
  setBusy(true, force ? 'Applying anyway…' : 'Applying…');
  let applied: AppliedEvent | null = null;
  try {
    const response = await request('POST', '/api/apply', {
      form: collect(),
      database: collectDatabase(),
      force,
      pageId: state.pageId,
    });
    if (!response.ok) {
      const answer = await answerOf(response);
      if (answer.errors?.length) {
        const first = showErrors(answer.errors, 'Not applied.');
        statusLine.textContent = 'Not applied: correct the fields marked.';
        summary.focus();
        if (first && !summary.hidden) summary.scrollIntoView({ block: 'nearest' });
      } else {
        statusLine.textContent = answer.message || 'Not applied.';
      }
      return;
    }
    let tested = false;
    let changes: readonly Change[] | null | undefined;
    await readEvents(response, (event) => {
      if (event.type === 'check') {
        if (!tested) {
          resetResults('Test Connection before applying');
          tested = true;
        }
        addCheck(event.check);
      } else if (event.type === 'tested') {
        showTested(event);
      } else if (event.type === 'refused') {
        const again = element('button', 'button danger', 'Apply anyway') as HTMLButtonElement;
        again.type = 'button';
        again.addEventListener('click', () => {
          void runApply(true);
        });
        showOutcome(
          'is-bad',
          [
            'Not applied: Test Connection failed (the problem and its fix are above). Correct the settings or this server, then try again.',
            'Apply anyway records the settings as applied although Test Connection failed (like tessera config apply --force).',
          ],
          again,
        );
        statusLine.textContent = 'Not applied: Test Connection failed.';
      } else if (event.type === 'applied') {
        applied = event;
      } else if (event.type === 'changed') {
        changes = event.changes;
      } else if (event.type === 'error') {
        showError(event, changes);
        statusLine.textContent =
          changes !== undefined
            ? 'Not applied: the file changed since this page was loaded.'
            : 'Not applied.';
      }
    });
  } catch {
    statusLine.textContent = 'The Configuration Tool did not answer: is it still running?';
  } finally {
    if (applied) showDone(applied);
    setBusy(false);
  }
}

function showDone(event: AppliedEvent): void {
  finished = true;
  const done = element('section', 'done');
  done.setAttribute('aria-labelledby', 'done-title');
  const title = document.createElement('h2');
  title.id = 'done-title';
  title.tabIndex = -1;
  title.textContent = event.alreadyApplied ? '✔ Already applied' : '✔ Applied';
  done.appendChild(title);
  const recorded = document.createElement('p');
  recorded.textContent = event.alreadyApplied
    ? 'Revision ' +
      event.revision +
      ' (' +
      event.at +
      ') is in ' +
      event.path +
      '; the settings have not changed since.'
    : 'Revision ' +
      event.revision +
      ' recorded in ' +
      event.path +
      (event.forced ? ' (forced: Test Connection had failed).' : '.');
  done.appendChild(recorded);
  let list: HTMLOListElement | null = null;
  event.nextSteps.split('\n').forEach((line) => {
    const step = /^\s*\d+\.\s+(.*)$/.exec(line);
    if (step) {
      if (!list) {
        list = document.createElement('ol');
        done.appendChild(list);
      }
      const item = document.createElement('li');
      item.textContent = step[1] ?? '';
      list.appendChild(item);
    } else if (line.trim()) {
      list = null;
      const p = document.createElement('p');
      p.textContent = line.trim();
      if (/^Next/.test(line)) p.className = 'next';
      done.appendChild(p);
    }
  });
  done.appendChild(element('p', 'stopped', 'The Configuration Tool has stopped. You can close this window.'));
  const kept = results.hidden ? null : results;
  form.textContent = '';
  form.appendChild(done);
  if (kept) form.appendChild(kept);
  document.title = 'Applied · Tessera Configuration Tool';
  $('certificates-refresh').disabled = true;
  title.focus();
}

const touched: Record<string, boolean> = {};
let validateTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleValidate(): void {
  clearTimeout(validateTimer);
  validateTimer = setTimeout(async () => {
    if (busy || finished) return;
    try {
      const responses = await Promise.all([
        request('POST', '/api/validate', collect()),
        request('POST', '/api/database/validate', collectDatabase()),
      ]);
      if (responses.some((response) => !response.ok && response.status !== 400)) return;
      const answers = (await Promise.all(responses.map((response) => response.json()))) as Answer[];
      const errors = (answers[0]?.errors ?? []).concat(answers[1]?.errors ?? []);
      // After a refused Apply, every error stays shown; before, only those of the fields changed.
      const keepSummary = !summary.hidden;
      showErrors(
        errors.filter((error) => keepSummary || touched[error.field]),
        keepSummary ? 'Not applied.' : false,
      );
    } catch {
      /* the next action says it */
    }
  }, 250);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (busy || finished) return;
  if (event.submitter === applyButton) void runApply(false);
  else if (provider() === 'redis' || activeTab === 'database') void runTest();
});
form.addEventListener('change', (event) => {
  const target = event.target as HTMLInputElement;
  if (target.name === 'provider' || target.name === 'dbProvider') {
    updateProvider();
    clearErrors();
  }
  if (target.id === 'useSsl') updateSslHost();
  touched[target.name || target.id] = true;
  scheduleValidate();
});
form.addEventListener('input', (event) => {
  const target = event.target as HTMLElement;
  if (target.id === 'hosts' || target.id === 'sslHost') updateSslHost();
  if (target.getAttribute?.('aria-invalid') === 'true') clearError(target.id);
});
(['password', 'dbPassword'] as const).forEach((field) => {
  $(field + '-replace').addEventListener('click', () => {
    showPassword(field, 'replace');
    $(field).focus();
  });
  $(field + '-clear').addEventListener('click', () => {
    showPassword(field, 'cleared');
    $(field + '-undo').focus();
  });
  $(field + '-undo').addEventListener('click', () => {
    showPassword(field, 'stored');
    $(field + '-replace').focus();
  });
  $(field + '-keep').addEventListener('click', () => {
    showPassword(field, 'stored');
    $(field + '-replace').focus();
  });
});
document.querySelectorAll('[data-tab]').forEach((tab) => {
  tab.addEventListener('click', () => {
    if (!finished) showTab(tab.getAttribute('data-tab') ?? 'session');
  });
});
$('certificates-refresh').addEventListener('click', async () => {
  const button = $('certificates-refresh');
  button.disabled = true;
  try {
    const response = await request('GET', '/api/certificates');
    const answer = (await response.json()) as { html: string };
    if (response.ok) $('certificates-body').innerHTML = answer.html;
  } finally {
    button.disabled = finished;
  }
});

showPassword('password', passwordModes.password);
showPassword('dbPassword', passwordModes.dbPassword);
updateProvider();
updateSslHost();
