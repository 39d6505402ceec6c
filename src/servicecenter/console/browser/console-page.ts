// The script of Service Center's operation page: follows the operation live through
// server-sent events (no page reload) and updates its state, summary, failures and
// the row of each front-end server and module. Everything it writes is text.

interface StepView {
  readonly frontend: string;
  readonly module: string;
  readonly state: string;
  readonly error: string | null;
}

interface OperationView {
  readonly id: number;
  readonly state: string;
  readonly summary: string;
  readonly finishedAt: string | null;
  readonly failures: readonly string[];
  readonly steps: readonly StepView[];
}

interface PageState {
  readonly operationId: number;
  readonly events: string;
  readonly state: string;
}

const initial = JSON.parse(document.getElementById('initial-state')?.textContent ?? '{}') as PageState;

function stateBadge(state: string): HTMLSpanElement {
  const badge = document.createElement('span');
  badge.className = 'state is-' + state;
  badge.textContent = state;
  return badge;
}

function replaceContent(element: Element | null, ...children: Node[]): void {
  if (element === null) return;
  element.textContent = '';
  for (const child of children) element.appendChild(child);
}

function show(operation: OperationView): void {
  replaceContent(document.getElementById('operation-state'), stateBadge(operation.state));
  const summary = document.getElementById('operation-summary');
  if (summary !== null) {
    summary.textContent = operation.summary;
    summary.className = 'operation-summary is-' + operation.state;
  }
  const finished = document.getElementById('operation-finished');
  if (finished !== null && operation.finishedAt !== null)
    finished.textContent = operation.finishedAt.replace('T', ' ').slice(0, 19) + ' UTC';
  const failures = document.getElementById('operation-failures');
  if (failures !== null) {
    replaceContent(
      failures,
      ...operation.failures.map((text) => {
        const item = document.createElement('li');
        item.textContent = text;
        return item;
      }),
    );
    failures.hidden = operation.failures.length === 0;
  }
  const body = document.querySelector('#operation-steps tbody');
  if (body === null) return;
  for (const step of operation.steps) {
    const key = step.frontend + '/' + step.module;
    let row = Array.from(body.querySelectorAll('tr')).find((r) => r.dataset.step === key);
    if (row === undefined) {
      row = document.createElement('tr');
      row.dataset.step = key;
      for (const text of [step.frontend, step.module]) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.appendChild(cell);
      }
      const stateCell = document.createElement('td');
      stateCell.className = 'step-state';
      const errorCell = document.createElement('td');
      errorCell.className = 'step-error error-text';
      row.append(stateCell, errorCell);
      body.appendChild(row);
    }
    replaceContent(row.querySelector('.step-state'), stateBadge(step.state));
    const error = row.querySelector('.step-error');
    if (error !== null) error.textContent = step.error ?? '';
  }
  document.body.dataset.operationState = operation.state;
}

function follow(): void {
  document.body.dataset.operationState = initial.state;
  if (initial.state === 'succeeded' || initial.state === 'failed') return;
  const source = new EventSource(initial.events);
  source.addEventListener('operation', (event) => {
    const operation = JSON.parse((event as MessageEvent<string>).data) as OperationView;
    show(operation);
    if (operation.state === 'succeeded' || operation.state === 'failed') source.close();
  });
  // The stream ended for good (the browser gave up reconnecting): the front-end server's
  // session store changed with the operation (Republish after the switch to Redis), or
  // the session expired. Loading the page again shows the operation as it is now, or the
  // login page that comes back to it.
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) window.location.reload();
  });
}

follow();
