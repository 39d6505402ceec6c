// The script of Service Center's Factory > Modules page: its "Publish a module" form
// sends the chosen .tgz as the body of POST /servicecenter/api/modules (with the
// session's CSRF token in the header) and goes to the publish operation's page. A
// refused package's message is shown under the form. Everything it writes is text.

interface PublishPageState {
  /** Where the package is posted. */
  readonly api: string;
  /** The operation page, without its id. */
  readonly operations: string;
}

interface PublishAnswer {
  readonly operationId?: number;
  readonly code?: string;
  readonly message?: string;
}

const page = JSON.parse(document.getElementById('initial-state')?.textContent ?? '{}') as PublishPageState;
const form = document.getElementById('publish-form') as HTMLFormElement | null;
const input = document.getElementById('module-file') as HTMLInputElement | null;
const button = document.getElementById('publish-module') as HTMLButtonElement | null;
const status = document.getElementById('publish-status');
const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

function say(text: string, isError: boolean): void {
  if (status === null) return;
  status.textContent = text;
  status.className = isError ? 'field-error' : 'hint';
}

async function publish(file: File): Promise<void> {
  say(`Publishing ${file.name}…`, false);
  if (button !== null) button.disabled = true;
  try {
    const response = await fetch(page.api, {
      method: 'POST',
      headers: { 'content-type': 'application/gzip', 'x-tessera-csrf': csrf },
      body: file,
      credentials: 'same-origin',
    });
    const answer = (await response.json().catch(() => ({}))) as PublishAnswer;
    if (response.status === 202 && typeof answer.operationId === 'number') {
      window.location.assign(page.operations + String(answer.operationId));
      return;
    }
    say(
      answer.message === undefined
        ? `Publishing failed (HTTP ${response.status}): see the front-end server log.`
        : `${answer.code ?? 'Error'}: ${answer.message}`,
      true,
    );
  } catch {
    say('The front-end server did not answer: check it is running, then try again.', true);
  } finally {
    if (button !== null) button.disabled = false;
  }
  input?.focus();
}

form?.addEventListener('submit', (event) => {
  event.preventDefault();
  const file = input?.files?.[0];
  if (file === undefined) {
    say('Choose the module package (.tgz) first.', true);
    input?.focus();
    return;
  }
  void publish(file);
});
