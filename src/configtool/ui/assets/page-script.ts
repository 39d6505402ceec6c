// The script of the Session tab, inlined in the page: vanilla JavaScript, no build
// step. It shows and hides the provider's fields, keeps the SSL Host's placeholder
// in step with Hosts, validates with the server (the rules live there), streams
// Test Connection and Apply and Exit as newline-delimited JSON, and shows field
// errors beside their field. Everything it writes into the page is text
// (textContent), never HTML, except the certificate panel's fragment, which the
// server escaped.
//
// Written without template literals, so that it can live in String.raw below.
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
  var state = JSON.parse(document.getElementById('initial-state').textContent);
  var $ = function (id) { return document.getElementById(id); };
  var form = $('session-form');
  var testButton = $('test-button');
  var applyButton = $('apply-button');
  var statusLine = $('status');
  var results = $('results');
  var checksList = $('checks');
  var outcome = $('outcome');
  var summary = $('form-summary');
  var FIELD_LABELS = {
    provider: 'Session Provider', hosts: 'Hosts', password: 'Password', user: 'ACL user',
    useSsl: 'Use SSL', sslHost: 'SSL Host', applied: 'Applied',
    dbProvider: 'Database Provider', dbPath: 'SQLite file', dbHost: 'PostgreSQL host', dbPort: 'PostgreSQL port',
    dbDatabase: 'PostgreSQL database', dbUser: 'PostgreSQL user', dbPassword: 'PostgreSQL password', dbSsl: 'PostgreSQL Use SSL'
  };
  var busy = false;
  var finished = false;
  // Per password field (the Redis one, 'password', and the PostgreSQL one, 'dbPassword'):
  // 'stored': keep the stored password; 'replace': the field's value; 'cleared': remove it.
  // Without a stored password: 'entry' (an empty field means no password).
  var passwordModes = {
    password: state.passwordSet ? 'stored' : 'entry',
    dbPassword: state.dbPasswordSet ? 'stored' : 'entry'
  };
  // The tab shown: 'session' or 'database'. Test Connection tests the shown tab's settings.
  var activeTab = 'session';

  function provider() {
    var checked = form.querySelector('input[name="provider"]:checked');
    return checked ? checked.value : '';
  }

  function hostNames(text) {
    var names = [];
    text.split(/[\s,;]+/).forEach(function (entry) {
      if (!entry) return;
      var name = entry;
      if (entry.charAt(0) === '[') name = entry.slice(1, entry.indexOf(']') > 0 ? entry.indexOf(']') : undefined);
      else if (entry.split(':').length === 2) name = entry.split(':')[0];
      if (name && names.indexOf(name) < 0) names.push(name);
    });
    return names;
  }

  function dbProvider() {
    var checked = form.querySelector('input[name="dbProvider"]:checked');
    return checked ? checked.value : '';
  }

  function showTab(name) {
    activeTab = name;
    document.querySelectorAll('[data-tab]').forEach(function (tab) {
      var on = tab.getAttribute('data-tab') === name;
      tab.className = 'tab' + (on ? ' is-active' : '');
      if (on) tab.setAttribute('aria-current', 'page'); else tab.removeAttribute('aria-current');
    });
    document.querySelectorAll('[data-panel]').forEach(function (panel) {
      panel.hidden = panel.getAttribute('data-panel') !== name;
    });
    document.title = (name === 'database' ? 'Platform Database' : 'Session') + ' · Tessera Configuration Tool';
    results.hidden = true;
    updateProvider();
  }

  function updateProvider() {
    var postgres = dbProvider() === 'postgres';
    $('sqlite-settings').hidden = postgres;
    $('sqlite-settings').disabled = postgres;
    $('postgres-settings').hidden = !postgres;
    $('postgres-settings').disabled = !postgres;
    var chosen = provider();
    var redis = chosen === 'redis';
    $('redis-settings').hidden = !redis;
    $('redis-settings').disabled = !redis;
    document.querySelectorAll('[data-provider-note]').forEach(function (note) {
      note.hidden = note.getAttribute('data-provider-note') !== chosen;
    });
    $('provider-note-kept').hidden = redis || !($('hosts').defaultValue);
    var testable = redis || activeTab === 'database';
    testButton.disabled = busy || finished || !testable;
    testButton.title = testable ? '' : 'Test Connection checks a Redis session store: choose Redis first.';
  }

  function updateSslHost() {
    var names = hostNames($('hosts').value);
    var useSsl = $('useSsl').checked;
    var sslHost = $('sslHost');
    sslHost.disabled = !useSsl;
    sslHost.placeholder = names.length ? names[0] + ' (from Hosts)' : 'determined from Hosts';
    var hint;
    if (!useSsl) hint = 'Used with Use SSL only.';
    else if (sslHost.value.trim()) hint = 'Every server certificate must be valid for ' + sslHost.value.trim() + '.';
    else if (names.length > 1) hint = 'Empty: each host is checked against its own name: ' + names.join(', ') + '.';
    else if (names.length === 1) hint = 'Empty: the name ' + names[0] + ', from Hosts, is checked in the server certificate.';
    else hint = 'The name checked in the Redis server certificate. Empty: determined from the Hosts field.';
    $('sslHost-hint').textContent = hint;
  }

  // field: 'password' or 'dbPassword', the id of the input and the prefix of its controls.
  function showPassword(field, mode) {
    passwordModes[field] = mode;
    $(field + '-stored').hidden = mode !== 'stored';
    $(field + '-cleared').hidden = mode !== 'cleared';
    $(field + '-entry').hidden = !(mode === 'replace' || mode === 'entry');
    $(field + '-keep').hidden = mode !== 'replace';
    if (mode !== 'replace' && mode !== 'entry') $(field).value = '';
    clearError(field);
  }

  function passwordValue(field) {
    var mode = passwordModes[field];
    if (mode === 'stored') return { action: 'keep' };
    if (mode === 'cleared') return { action: 'clear' };
    var value = $(field).value;
    if (mode === 'entry') return value ? { action: 'replace', value: value } : { action: 'clear' };
    return { action: 'replace', value: value };
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
      ssl: $('dbSsl').checked
    };
  }

  function collect() {
    var advanced = {};
    form.querySelectorAll('[data-advanced]').forEach(function (input) { advanced[input.name] = input.value; });
    return {
      provider: provider(),
      hosts: $('hosts').value,
      password: passwordValue('password'),
      user: $('user').value,
      useSsl: $('useSsl').checked,
      sslHost: $('sslHost').value,
      advanced: advanced
    };
  }

  function fieldElement(field) {
    if (field === 'provider') return form.querySelector('input[name="provider"]:checked') || $('provider-memory');
    if (field === 'dbProvider') return form.querySelector('input[name="dbProvider"]:checked') || $('dbProvider-sqlite');
    if (field === 'password' || field === 'dbPassword') {
      if (passwordModes[field] === 'stored') return $(field + '-replace');
      if (passwordModes[field] === 'cleared') return $(field + '-undo');
      return $(field);
    }
    return $(field);
  }

  function labelOf(field) {
    if (FIELD_LABELS[field]) return FIELD_LABELS[field];
    var label = form.querySelector('label[for="' + field + '"]');
    return label ? label.textContent.trim() : field;
  }

  function describedBy(element, id, on) {
    var ids = (element.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    ids = ids.filter(function (x) { return x !== id; });
    if (on) ids.push(id);
    if (ids.length) element.setAttribute('aria-describedby', ids.join(' '));
    else element.removeAttribute('aria-describedby');
  }

  function clearError(field) {
    var error = $(field + '-error');
    if (error) { error.hidden = true; error.textContent = ''; }
    var element = fieldElement(field);
    if (element) {
      element.removeAttribute('aria-invalid');
      describedBy(element, field + '-error', false);
    }
    if (field === 'password' || field === 'dbPassword') {
      [field, field + '-replace', field + '-undo'].forEach(function (id) {
        $(id).removeAttribute('aria-invalid');
        describedBy($(id), field + '-error', false);
      });
    }
  }

  function clearErrors() {
    form.querySelectorAll('.field-error').forEach(function (error) {
      clearError(error.id.replace(/-error$/, ''));
    });
    summary.hidden = true;
    summary.textContent = '';
  }

  /** Marks each field with its error; with a summary (on Apply or Test) listing them. Returns the first field. */
  function showErrors(errors, withSummary) {
    clearErrors();
    var first = null;
    errors.forEach(function (error) {
      var element = fieldElement(error.field);
      var message = $(error.field + '-error');
      if (message) { message.textContent = error.message; message.hidden = false; }
      if (element) {
        element.setAttribute('aria-invalid', 'true');
        describedBy(element, error.field + '-error', true);
        if (element.closest('details')) element.closest('details').open = true;
        var panel = element.closest('[data-panel]');
        if (!first && withSummary && panel && panel.hidden) showTab(panel.getAttribute('data-panel'));
        if (!first) first = element;
      }
    });
    if (withSummary && errors.length) {
      var title = document.createElement('p');
      title.textContent = withSummary + ' ' + (errors.length === 1 ? 'One field needs' : errors.length + ' fields need') + ' correcting:';
      var list = document.createElement('ul');
      errors.forEach(function (error) {
        var item = document.createElement('li');
        var link = document.createElement('a');
        link.href = '#' + error.field;
        link.textContent = labelOf(error.field);
        link.addEventListener('click', function (event) {
          event.preventDefault();
          var element = fieldElement(error.field);
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

  function request(method, path, body) {
    var headers = { 'x-tessera-csrf': csrf };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(path, {
      method: method,
      headers: headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  }

  async function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = '';
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      var lines = buffer.split('\n');
      buffer = lines.pop();
      lines.forEach(function (line) { if (line.trim()) onEvent(JSON.parse(line)); });
    }
    if (buffer.trim()) onEvent(JSON.parse(buffer));
  }

  function setBusy(on, message) {
    busy = on;
    applyButton.disabled = on || finished;
    form.setAttribute('aria-busy', on ? 'true' : 'false');
    updateProvider();
    if (message !== undefined) statusLine.textContent = message;
  }

  var lastHost;
  function resetResults(title) {
    results.hidden = false;
    $('results-title').textContent = title;
    checksList.textContent = '';
    $('results-summary').textContent = 'Running…';
    $('results-summary').className = 'results-summary';
    outcome.hidden = true;
    outcome.textContent = '';
    lastHost = undefined;
  }

  function addCheck(check) {
    if (check.host !== null && check.host !== lastHost) {
      var heading = document.createElement('li');
      heading.className = 'host';
      heading.textContent = check.host;
      checksList.appendChild(heading);
    }
    lastHost = check.host;
    var item = document.createElement('li');
    item.className = 'check ' + (check.ok ? 'is-ok' : 'is-bad');
    var line = document.createElement('div');
    line.className = 'check-line';
    var mark = document.createElement('span');
    mark.className = 'mark';
    mark.setAttribute('aria-hidden', 'true');
    mark.textContent = check.ok ? '✔' : '✘';
    var said = document.createElement('span');
    said.className = 'visually-hidden';
    said.textContent = check.ok ? 'Passed: ' : 'Failed: ';
    var name = document.createElement('span');
    name.className = 'check-name';
    name.textContent = check.name;
    line.appendChild(mark);
    line.appendChild(said);
    line.appendChild(name);
    if (check.ok) {
      var detail = document.createElement('span');
      detail.className = 'check-detail';
      detail.textContent = check.detail;
      line.appendChild(detail);
    }
    var ms = document.createElement('span');
    ms.className = 'check-ms';
    ms.textContent = check.ms + ' ms';
    line.appendChild(ms);
    item.appendChild(line);
    if (!check.ok) {
      var fix = document.createElement('div');
      fix.className = 'fix';
      var label = document.createElement('strong');
      label.textContent = 'What is wrong and what to do';
      fix.appendChild(label);
      fix.appendChild(document.createTextNode(check.detail));
      item.appendChild(fix);
    }
    checksList.appendChild(item);
  }

  function showTested(event) {
    var line = $('results-summary');
    if (event.ok) {
      line.textContent = '✔ Test Connection passed: ' + event.total + ' checks.';
      line.className = 'results-summary is-ok';
    } else {
      line.textContent = '✘ Test Connection failed: ' + event.failed + ' of ' + event.total + ' checks. The fix is under the check marked ✘.';
      line.className = 'results-summary is-bad';
    }
  }

  function showOutcome(kind, paragraphs, extra) {
    outcome.textContent = '';
    outcome.className = 'outcome ' + kind;
    paragraphs.forEach(function (text) {
      var p = document.createElement('p');
      p.textContent = text;
      outcome.appendChild(p);
    });
    if (extra) outcome.appendChild(extra);
    outcome.hidden = false;
  }

  /** The settings someone else changed in the file: as this page was loaded, and now. */
  function changesTable(changes) {
    var table = document.createElement('table');
    table.className = 'changes';
    table.id = 'file-changes';
    var caption = document.createElement('caption');
    caption.textContent = 'Changed in the file since this page was loaded';
    table.appendChild(caption);
    var head = table.createTHead().insertRow();
    ['Setting', 'When this page was loaded', 'In the file now'].forEach(function (text) {
      var cell = document.createElement('th');
      cell.scope = 'col';
      cell.textContent = text;
      head.appendChild(cell);
    });
    var rows = table.createTBody();
    changes.forEach(function (change) {
      var row = rows.insertRow();
      var name = document.createElement('th');
      name.scope = 'row';
      name.textContent = labelOf(change.field);
      row.appendChild(name);
      row.insertCell().textContent = change.before;
      row.insertCell().textContent = change.now;
    });
    return table;
  }

  // changes: the 'changed' event's list (undefined when there was none).
  function showError(event, changes) {
    var texts = [event.code ? event.message + ' (' + event.code + ')' : event.message];
    var table = null;
    if (event.code === 'TESSERA_CONFIG_CONCURRENT_WRITE') {
      if (changes === null) texts.push('The file cannot be read now: reloading this page shows why.');
      else if (changes && changes.length === 0) texts.push('No setting differs: the file was only rewritten.');
      else if (changes) table = changesTable(changes);
      texts.push('Reload this page to read the file anew, then make your changes again.');
    }
    showOutcome('is-bad', texts, table);
  }

  async function answerOf(response) {
    try { return await response.json(); } catch (e) { return { message: 'The tool answered ' + response.status + '.' }; }
  }

  async function runTest() {
    clearErrors();
    setBusy(true, 'Testing the connection…');
    try {
      var database = activeTab === 'database';
      var response = database
        ? await request('POST', '/api/database/test-connection', collectDatabase())
        : await request('POST', '/api/test-connection', collect());
      if (!response.ok) {
        var answer = await answerOf(response);
        if (answer.errors && answer.errors.length) {
          var first = showErrors(answer.errors, 'Not tested.');
          statusLine.textContent = 'Not tested: correct the fields marked.';
          if (first) first.focus();
        } else {
          statusLine.textContent = answer.message || 'Test Connection could not run.';
        }
        return;
      }
      resetResults(database ? 'Test Connection: platform database' : 'Test Connection');
      var passed = false;
      await readEvents(response, function (event) {
        if (event.type === 'check') addCheck(event.check);
        else if (event.type === 'tested') { showTested(event); passed = event.ok; }
        else if (event.type === 'error') showError(event);
      });
      statusLine.textContent = passed ? 'Test Connection passed.' : 'Test Connection failed: see the check marked ✘.';
    } catch (error) {
      statusLine.textContent = 'The Configuration Tool did not answer: is it still running?';
    } finally {
      setBusy(false);
    }
  }

  async function runApply(force) {
    clearErrors();
    setBusy(true, force ? 'Applying anyway…' : 'Applying…');
    var applied = null;
    try {
      var response = await request('POST', '/api/apply', { form: collect(), database: collectDatabase(), force: force, pageId: state.pageId });
      if (!response.ok) {
        var answer = await answerOf(response);
        if (answer.errors && answer.errors.length) {
          var first = showErrors(answer.errors, 'Not applied.');
          statusLine.textContent = 'Not applied: correct the fields marked.';
          summary.focus();
          if (first && !summary.hidden) summary.scrollIntoView({ block: 'nearest' });
        } else {
          statusLine.textContent = answer.message || 'Not applied.';
        }
        return;
      }
      var tested = false;
      var changes;
      await readEvents(response, function (event) {
        if (event.type === 'check') {
          if (!tested) { resetResults('Test Connection before applying'); tested = true; }
          addCheck(event.check);
        } else if (event.type === 'tested') {
          showTested(event);
        } else if (event.type === 'refused') {
          var again = document.createElement('button');
          again.type = 'button';
          again.className = 'button danger';
          again.textContent = 'Apply anyway';
          again.addEventListener('click', function () { runApply(true); });
          showOutcome('is-bad', ['Not applied: Test Connection failed (the problem and its fix are above). Correct the settings or this server, then try again.', 'Apply anyway records the settings as applied although Test Connection failed (like tessera config apply --force).'], again);
          statusLine.textContent = 'Not applied: Test Connection failed.';
        } else if (event.type === 'applied') {
          applied = event;
        } else if (event.type === 'changed') {
          changes = event.changes;
        } else if (event.type === 'error') {
          showError(event, changes);
          statusLine.textContent = changes !== undefined ? 'Not applied: the file changed since this page was loaded.' : 'Not applied.';
        }
      });
    } catch (error) {
      statusLine.textContent = 'The Configuration Tool did not answer: is it still running?';
    } finally {
      if (applied) showDone(applied);
      setBusy(false);
    }
  }

  function showDone(event) {
    finished = true;
    var done = document.createElement('section');
    done.className = 'done';
    done.setAttribute('aria-labelledby', 'done-title');
    var title = document.createElement('h2');
    title.id = 'done-title';
    title.tabIndex = -1;
    title.textContent = event.alreadyApplied ? '✔ Already applied' : '✔ Applied';
    done.appendChild(title);
    var recorded = document.createElement('p');
    recorded.textContent = event.alreadyApplied
      ? 'Revision ' + event.revision + ' (' + event.at + ') is in ' + event.path + '; the settings have not changed since.'
      : 'Revision ' + event.revision + ' recorded in ' + event.path + (event.forced ? ' (forced: Test Connection had failed).' : '.');
    done.appendChild(recorded);
    var list = null;
    event.nextSteps.split('\n').forEach(function (line) {
      var step = /^\s*\d+\.\s+(.*)$/.exec(line);
      if (step) {
        if (!list) { list = document.createElement('ol'); done.appendChild(list); }
        var item = document.createElement('li');
        item.textContent = step[1];
        list.appendChild(item);
      } else if (line.trim()) {
        list = null;
        var p = document.createElement('p');
        p.textContent = line.trim();
        if (/^Next/.test(line)) p.className = 'next';
        done.appendChild(p);
      }
    });
    var stopped = document.createElement('p');
    stopped.className = 'stopped';
    stopped.textContent = 'The Configuration Tool has stopped. You can close this window.';
    done.appendChild(stopped);
    var kept = results.hidden ? null : results;
    form.textContent = '';
    form.appendChild(done);
    if (kept) form.appendChild(kept);
    document.title = 'Applied · Tessera Configuration Tool';
    $('certificates-refresh').disabled = true;
    title.focus();
  }

  var touched = {};
  var validateTimer = null;
  function scheduleValidate() {
    clearTimeout(validateTimer);
    validateTimer = setTimeout(async function () {
      if (busy || finished) return;
      try {
        var responses = await Promise.all([
          request('POST', '/api/validate', collect()),
          request('POST', '/api/database/validate', collectDatabase())
        ]);
        if (responses.some(function (response) { return !response.ok && response.status !== 400; })) return;
        var answers = await Promise.all(responses.map(function (response) { return response.json(); }));
        var answer = { errors: (answers[0].errors || []).concat(answers[1].errors || []) };
        // After a refused Apply, every error stays shown; before, only those of the fields changed.
        var keepSummary = !summary.hidden;
        var errors = (answer.errors || []).filter(function (error) { return keepSummary || touched[error.field]; });
        showErrors(errors, keepSummary ? 'Not applied.' : false);
      } catch (error) { /* the next action says it */ }
    }, 250);
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (busy || finished) return;
    if (event.submitter === applyButton) runApply(false);
    else if (provider() === 'redis' || activeTab === 'database') runTest();
  });
  form.addEventListener('change', function (event) {
    if (event.target.name === 'provider' || event.target.name === 'dbProvider') { updateProvider(); clearErrors(); }
    if (event.target.id === 'useSsl') updateSslHost();
    touched[event.target.name || event.target.id] = true;
    scheduleValidate();
  });
  form.addEventListener('input', function (event) {
    var target = event.target;
    if (target.id === 'hosts' || target.id === 'sslHost') updateSslHost();
    if (target.getAttribute && target.getAttribute('aria-invalid') === 'true') clearError(target.id);
  });
  ['password', 'dbPassword'].forEach(function (field) {
    $(field + '-replace').addEventListener('click', function () { showPassword(field, 'replace'); $(field).focus(); });
    $(field + '-clear').addEventListener('click', function () { showPassword(field, 'cleared'); $(field + '-undo').focus(); });
    $(field + '-undo').addEventListener('click', function () { showPassword(field, 'stored'); $(field + '-replace').focus(); });
    $(field + '-keep').addEventListener('click', function () { showPassword(field, 'stored'); $(field + '-replace').focus(); });
  });
  document.querySelectorAll('[data-tab]').forEach(function (tab) {
    tab.addEventListener('click', function () { if (!finished) showTab(tab.getAttribute('data-tab')); });
  });
  $('certificates-refresh').addEventListener('click', async function () {
    var button = this;
    button.disabled = true;
    try {
      var response = await request('GET', '/api/certificates');
      var answer = await response.json();
      if (response.ok) $('certificates-body').innerHTML = answer.html;
    } finally {
      button.disabled = finished;
    }
  });

  showPassword('password', passwordModes.password);
  showPassword('dbPassword', passwordModes.dbPassword);
  updateProvider();
  updateSslHost();
})();
`;
