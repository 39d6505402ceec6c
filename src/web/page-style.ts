// The style of the browser tool, inlined in each page: the system's fonts, no asset
// from the network. Readable from 1280x800 down to a narrow (420px) window.
export const PAGE_STYLE = `
:root {
  --bg: #f3f4f6;
  --card: #ffffff;
  --line: #d5dae1;
  --line-strong: #aeb6c1;
  --text: #1b2129;
  --muted: #58626f;
  --accent: #0b5ca8;
  --accent-strong: #084b8a;
  --accent-soft: #e8f1fb;
  --ok: #17803d;
  --ok-soft: #e9f6ee;
  --bad: #b3261e;
  --bad-soft: #fdeeed;
  --warn: #8a5a00;
  --warn-soft: #fff6e0;
  --focus: #1a73e8;
  --radius: 6px;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif;
}
code { font-family: var(--mono); font-size: 0.92em; overflow-wrap: anywhere; }
h1, h2, h3 { line-height: 1.25; margin: 0; }
h2 { font-size: 1.2rem; }
h3 { font-size: 0.95rem; margin: 18px 0 6px; }
p { margin: 0; }
[hidden] { display: none !important; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }

/* Header and tabs */
.app-header {
  display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 10px 32px;
  padding: 10px 28px; background: #15202e; color: #f4f6f8;
}
.brand { display: flex; align-items: center; gap: 12px; }
.logo {
  width: 30px; height: 30px; border-radius: 6px; flex: none;
  background: linear-gradient(135deg, #3d8bd9 0 50%, #7cc0ff 50% 100%);
  box-shadow: inset 0 0 0 2px rgba(255, 255, 255, 0.25);
}
.product { font-size: 0.75rem; letter-spacing: 0.08em; text-transform: uppercase; color: #a9b7c6; }
.app-header h1 { font-size: 1.15rem; font-weight: 600; }
.context { display: flex; flex-wrap: wrap; gap: 4px 28px; margin: 0; font-size: 0.85rem; }
.context div { min-width: 0; }
.context dt { color: #a9b7c6; font-size: 0.75rem; }
.context dd { margin: 0; overflow-wrap: anywhere; }
.context .hint { color: #a9b7c6; }
.tabs {
  display: flex; gap: 4px; padding: 0 28px; background: #ffffff; border-bottom: 1px solid var(--line);
  overflow-x: auto;
}
.tab {
  display: inline-block; padding: 11px 16px 9px; border: 0; border-bottom: 3px solid transparent;
  background: none; font: inherit; cursor: pointer;
  color: var(--muted); text-decoration: none; white-space: nowrap; font-weight: 500;
}
.tab.is-active { color: var(--accent-strong); border-bottom-color: var(--accent); font-weight: 600; }
.tab.is-disabled { color: #9aa3ae; cursor: not-allowed; }

/* Layout */
main { padding: 18px 28px 40px; }
.layout {
  display: grid; grid-template-columns: minmax(0, 1fr) minmax(300px, 400px); gap: 22px;
  max-width: 1240px; margin: 0 auto; align-items: start;
}
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 20px 22px; }
.card-head { display: flex; align-items: center; justify-content: space-between; gap: 12px; margin-bottom: 6px; }
.lead { color: var(--muted); margin-bottom: 14px; }
.hint { color: var(--muted); font-size: 0.85rem; margin-top: 4px; }
.badge {
  display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 0.8rem; white-space: nowrap;
  background: #eef0f3; color: var(--muted); border: 1px solid var(--line);
}
.badge.is-ok { background: var(--ok-soft); color: var(--ok); border-color: #b9e0c6; }
.badge.is-warning { background: var(--warn-soft); color: var(--warn); border-color: #f0d9a6; }

/* Form */
fieldset { border: 0; margin: 0 0 14px; padding: 0; min-width: 0; }
legend { font-weight: 600; font-size: 1rem; padding: 0; margin-bottom: 8px; }
.choices { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 10px; }
.choice {
  display: flex; gap: 10px; align-items: flex-start; padding: 10px 12px; cursor: pointer;
  border: 1px solid var(--line); border-radius: var(--radius); background: #fbfcfd;
}
.choice:hover { border-color: var(--line-strong); }
.choice:has(input:checked) { border-color: var(--accent); background: var(--accent-soft); box-shadow: inset 0 0 0 1px var(--accent); }
.choice input { margin: 3px 0 0; accent-color: var(--accent); }
.choice strong { display: block; }
.choice small { display: block; color: var(--muted); font-size: 0.8rem; line-height: 1.35; margin-top: 2px; }
.note {
  padding: 10px 12px; border-radius: var(--radius); background: var(--warn-soft); border: 1px solid #f0d9a6;
  color: #5c3d00; margin: -6px 0 14px; font-size: 0.9rem;
}
.note.subtle { background: #f5f7fa; border-color: var(--line); color: var(--muted); }
.redis {
  display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px 18px;
  border-top: 1px solid var(--line); padding-top: 12px; margin-bottom: 16px;
}
.redis > legend { float: left; width: 100%; margin-bottom: 0; }
.field { min-width: 0; }
.field.wide, .redis > .wide { grid-column: 1 / -1; }
.field > label, .field > .label { display: block; font-weight: 600; margin-bottom: 4px; }
.optional { font-weight: 400; color: var(--muted); font-size: 0.8rem; margin-left: 4px; }
input[type="text"], input[type="password"], select {
  width: 100%; min-height: 38px; padding: 7px 10px; font: inherit; color: var(--text);
  background: #fff; border: 1px solid var(--line-strong); border-radius: var(--radius);
}
input[type="text"], input[type="password"] { font-family: var(--mono); font-size: 0.9rem; }
input::placeholder { color: #8b95a1; font-family: var(--mono); }
input:disabled, select:disabled { background: #f1f3f5; color: #7b8591; }
input:focus-visible, select:focus-visible { outline: 3px solid var(--focus); outline-offset: 0; border-color: var(--focus); }
[aria-invalid="true"] { border-color: var(--bad) !important; box-shadow: 0 0 0 1px var(--bad); }
.field-error { color: var(--bad); font-size: 0.85rem; margin-top: 4px; font-weight: 500; }
.field-error::before { content: "✘ "; }
.checkbox { display: grid; grid-template-columns: auto 1fr; column-gap: 10px; align-content: start; align-items: center; padding-top: 30px; }
.checkbox input { width: 18px; height: 18px; margin: 0; accent-color: var(--accent); }
.checkbox > label { margin: 0; }
.checkbox .hint, .checkbox .field-error { grid-column: 2; margin-top: 0; }
.stored { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 14px; min-height: 38px; }
.stored-state { display: inline-flex; align-items: center; gap: 6px; }
.stored-state .mark { color: var(--ok); font-size: 0.7rem; }
.with-button { display: flex; gap: 10px; align-items: center; }
.link-button {
  font: inherit; color: var(--accent); background: none; border: 0; padding: 4px 2px; cursor: pointer;
  text-decoration: underline; text-underline-offset: 2px; white-space: nowrap;
}
.link-button:hover { color: var(--accent-strong); }
.advanced { border: 1px solid var(--line); border-radius: var(--radius); padding: 0 14px; }
.advanced[open] { padding-bottom: 14px; }
.advanced summary { cursor: pointer; padding: 10px 0; font-weight: 600; }
.advanced-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px 16px; margin-top: 10px; }
.advanced-grid label { font-weight: 500; font-size: 0.9rem; }

/* Actions and results */
/* The actions stay in view at the bottom of the window while the form is longer than it. */
.actions {
  display: flex; flex-wrap: wrap; align-items: center; gap: 10px 12px;
  position: sticky; bottom: 0; z-index: 1; margin: 0 -22px; padding: 12px 22px;
  background: #ffffff; border-top: 1px solid var(--line);
  box-shadow: 0 -8px 14px -12px rgba(20, 30, 45, 0.35);
}
.button {
  font: inherit; font-weight: 600; min-height: 38px; padding: 7px 18px; border-radius: var(--radius); cursor: pointer;
  border: 1px solid var(--line-strong); background: #fff; color: var(--text);
}
.button:hover:not(:disabled) { background: #f3f5f8; }
.button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.button.primary:hover:not(:disabled) { background: var(--accent-strong); }
.button.secondary { color: var(--accent-strong); border-color: var(--accent); }
.button.danger { color: var(--bad); border-color: var(--bad); }
.button.small { min-height: 30px; padding: 3px 12px; font-size: 0.85rem; font-weight: 500; }
.button:disabled { opacity: 0.55; cursor: not-allowed; }
.status { color: var(--muted); font-size: 0.9rem; flex: 1 1 200px; }
.summary {
  border: 1px solid #efb5b0; background: var(--bad-soft); color: #6b1510; border-radius: var(--radius);
  padding: 10px 12px; margin-bottom: 16px;
}
.summary ul { margin: 6px 0 0; padding-left: 20px; }
.summary a { color: #6b1510; }
.results { margin-top: 18px; }
.results h3 { margin-top: 0; font-size: 1rem; }
.results-summary { margin: 4px 0 10px; font-weight: 600; }
.results-summary.is-ok { color: var(--ok); }
.results-summary.is-bad { color: var(--bad); }
.checks { list-style: none; margin: 0; padding: 0; border: 1px solid var(--line); border-radius: var(--radius); }
.checks li { padding: 7px 12px; border-top: 1px solid #eceff3; }
.checks li:first-child { border-top: 0; }
.checks .host { background: #f5f7fa; font-weight: 600; font-family: var(--mono); font-size: 0.85rem; padding: 6px 12px; }
.check-line { display: flex; gap: 10px; align-items: baseline; }
.check .mark { width: 1.1em; flex: none; font-weight: 700; }
.check.is-ok .mark { color: var(--ok); }
.check.is-bad .mark { color: var(--bad); }
.check-name { font-weight: 600; flex: none; min-width: 12em; }
.check-detail { color: var(--muted); font-size: 0.88rem; min-width: 0; overflow-wrap: anywhere; flex: 1; }
.check-ms { color: #8b95a1; font-size: 0.8rem; flex: none; margin-left: auto; font-variant-numeric: tabular-nums; }
.check.is-bad { background: var(--bad-soft); }
.fix {
  margin: 6px 0 2px 1.7em; padding: 8px 10px; background: #fff; border-left: 3px solid var(--bad);
  border-radius: 0 var(--radius) var(--radius) 0; overflow-wrap: anywhere;
}
.fix strong { display: block; font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--bad); }
.outcome { margin-top: 16px; border-radius: var(--radius); padding: 12px 14px; border: 1px solid var(--line); }
.outcome.is-bad { background: var(--bad-soft); border-color: #efb5b0; }
.outcome.is-warning { background: var(--warn-soft); border-color: #f0d9a6; }
.outcome p + p, .outcome p + .button { margin-top: 8px; }
.changes { margin-top: 10px; border-collapse: collapse; width: 100%; background: #fff; }
.changes caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
.changes th, .changes td { text-align: left; vertical-align: top; padding: 5px 8px; border: 1px solid var(--line); overflow-wrap: anywhere; }
.changes thead th { background: #f5f7fa; font-weight: 600; }
.done h2 { color: var(--ok); }
.done ol { margin: 8px 0; padding-left: 22px; }
.done li { margin: 3px 0; }
.done .stopped { margin-top: 16px; padding: 10px 12px; background: #f5f7fa; border-radius: var(--radius); }
.done p + p { margin-top: 8px; }

/* Certificate panel */
.certificates h2 { font-size: 1.05rem; }
.certificates h3 { color: var(--text); }
.panel-status { margin: 12px 0 10px; padding: 8px 10px; border-radius: var(--radius); font-weight: 600; font-size: 0.9rem; }
.panel-status.is-ok { background: var(--ok-soft); color: var(--ok); }
.panel-status.is-bad { background: var(--bad-soft); color: var(--bad); }
.variables { list-style: none; margin: 0; padding: 0; }
.variable { padding: 8px 0; border-top: 1px solid #eceff3; }
.variable:first-child { border-top: 0; }
.variable-name code { font-weight: 600; font-size: 0.85rem; }
.variable-what { color: var(--muted); font-size: 0.8rem; }
.variable-value { display: flex; gap: 6px; font-family: var(--mono); font-size: 0.82rem; margin-top: 2px; overflow-wrap: anywhere; min-width: 0; }
.variable-value .value { min-width: 0; }
.variable.is-ok .mark { color: var(--ok); }
.variable.is-bad .mark { color: var(--bad); }
.variable.is-unset .variable-value { color: #8b95a1; }
.problem { color: var(--bad); font-size: 0.85rem; margin-top: 4px; overflow-wrap: anywhere; }
.problems { padding-left: 18px; }
.warnings { padding-left: 18px; color: var(--warn); font-size: 0.85rem; }
.facts { margin: 0; display: grid; gap: 4px; font-size: 0.87rem; }
.facts div { display: grid; grid-template-columns: 5.5em minmax(0, 1fr); gap: 8px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.facts .is-warning dd { color: var(--warn); font-weight: 600; }
.facts .is-bad dd { color: var(--bad); font-weight: 600; }
.flags { font-size: 0.9rem; }
.issuers { padding-left: 18px; font-size: 0.87rem; margin: 0; overflow-wrap: anywhere; }

/* The refusal page */
.refused { max-width: 640px; margin: 12vh auto; }
.refused h1 { font-size: 1.3rem; margin-bottom: 12px; }
.refused p + p { margin-top: 10px; color: var(--muted); }

@media (max-width: 980px) {
  .layout { grid-template-columns: minmax(0, 1fr); }
}
@media (max-width: 640px) {
  main { padding: 12px 10px 32px; }
  .app-header { padding: 12px 14px; }
  .tabs { padding: 0 8px; }
  .card { padding: 16px 14px; }
  .actions { margin: 0 -14px; padding: 10px 14px; }
  .choices { grid-template-columns: minmax(0, 1fr); }
  .redis { grid-template-columns: minmax(0, 1fr); }
  .checkbox { padding-top: 0; }
  .check-line { flex-wrap: wrap; }
  .check-name { min-width: 0; }
  .check-detail { flex-basis: 100%; padding-left: 1.7em; }
  .fix { margin-left: 0; }
  .actions .button { flex: 1 1 auto; }
}
@media (prefers-reduced-motion: no-preference) {
  .button, .choice, input, select { transition: border-color 120ms, background-color 120ms, box-shadow 120ms; }
}
`;
