/**
 * The page shell both consoles share: the document head (CSP-nonced style, CSRF
 * token for the page script), the header with the product and the console's name,
 * and the page script inlined as a module. Every page of the Configuration Tool and
 * of Service Center is built with it, so they look and behave alike.
 */
import { html, jsonForScript, SafeHtml } from './html.ts';
import { PAGE_STYLE } from './page-style.ts';

/** Trusted text of this package, inserted as it is (escaping would break its quotes). */
const STYLE = new SafeHtml(PAGE_STYLE);

export type ConsoleName = 'Configuration Tool' | 'Service Center';

export interface PageInput {
  readonly nonce: string;
  /** The document title's first part; the console's name follows. */
  readonly title: string;
  readonly console: ConsoleName;
  /** The session's CSRF token, for the page script to send with every change. */
  readonly csrf?: string;
  /** The page header; none on a page that refuses a request. */
  readonly header?: SafeHtml;
  readonly body: SafeHtml;
  /** Values for the page script, in `<script type="application/json" id="initial-state">`. */
  readonly state?: unknown;
  /** The page script (from `pageScript`). */
  readonly script?: SafeHtml;
}

/** The header: the product, the console's name and, beside them, facts about where it runs. */
export function pageHeader(consoleName: ConsoleName, context: SafeHtml | null, extra?: SafeHtml): SafeHtml {
  return html`<header class="app-header">
  <div class="brand">
    <span class="logo" aria-hidden="true"></span>
    <div>
      <p class="product">Tessera</p>
      <h1>${consoleName}</h1>
    </div>
  </div>
  ${
    context === null
      ? null
      : html`<dl class="context">
    ${context}
  </dl>`
  }${extra}
</header>`;
}

export function renderPage(input: PageInput): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${
  input.csrf === undefined
    ? null
    : html`<meta name="csrf-token" content="${input.csrf}">
`
}<meta name="referrer" content="no-referrer">
<title>${input.title} · Tessera ${input.console}</title>
<link rel="icon" href="data:,">
<style nonce="${input.nonce}">${STYLE}</style>
</head>
<body>
${input.header}
${input.body}
${
  input.state === undefined
    ? null
    : html`<script type="application/json" id="initial-state">${jsonForScript(input.state)}</script>
`
}${
  input.script === undefined
    ? null
    : html`<script type="module" nonce="${input.nonce}">${input.script}</script>
`
}</body>
</html>
`.toString();
}

/**
 * The Content-Security-Policy of a page: its own nonced style and script only,
 * requests to its own origin, never framed. `formAction`: where its forms may post
 * (`none` for a page whose forms are handled by its script).
 */
export function pageCsp(nonce: string, options: { readonly formAction: 'none' | 'self' }): string {
  return (
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:; ` +
    `connect-src 'self'; form-action '${options.formAction}'; frame-ancestors 'none'; base-uri 'none'`
  );
}
