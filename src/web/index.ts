// The web kit of the two consoles (the Configuration Tool and Service Center): HTML
// escaped by construction, the page shell and its style, page scripts compiled from
// real TypeScript files, and the secrets of a browser session (tokens, CSRF).
export { escapeHtml, html, jsonForScript, SafeHtml } from './html.ts';
export { pageScript } from './page-scripts.ts';
export { type ConsoleName, type PageInput, pageCsp, pageHeader, renderPage } from './page-shell.ts';
export { PAGE_STYLE } from './page-style.ts';
export {
  CSRF_HEADER,
  headerValue,
  pageNonce,
  randomToken,
  readCookie,
  sameSecret,
  TOKEN_BYTES,
} from './tokens.ts';
