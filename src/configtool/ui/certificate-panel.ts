// The read-only panel "This server's certificate variables": each SERedis_* variable
// and what it holds (a path; the password only as set or not set), the client
// certificate's subject, issuer and expiry, the decoded storage flags, the issuer
// certificates trusted, and the problem with each. The data is the TLS layer's
// report, which never holds a secret; every value is escaped.
import { TLS_VARIABLES, type TlsMaterial, type TlsReport, type TlsVariableName } from '../../tls/index.ts';
import { html, type SafeHtml } from '../../web/index.ts';

/** What each variable holds, in the words of the user's document. */
const WHAT: Readonly<Record<TlsVariableName, string>> = {
  [TLS_VARIABLES.pfxPath]: 'client certificate and key (.pfx); mandatory with Use SSL',
  [TLS_VARIABLES.password]: 'password of the .pfx file, if it has one',
  [TLS_VARIABLES.storageFlags]: 'X509KeyStorageFlags (0–63 or names); optional',
  [TLS_VARIABLES.issuerPath]: 'issuer of the Redis server certificate (.crt), if not trusted already',
  [TLS_VARIABLES.pemCertPath]: 'extension: PEM client certificate, instead of a .pfx',
  [TLS_VARIABLES.pemKeyPath]: 'extension: PEM key of that certificate',
};

const EXPIRY_WARNING_DAYS = 30;

/** The panel's body for `material` (files read again now). */
export function renderCertificatePanel(material: TlsMaterial): SafeHtml {
  return renderReport(material.report());
}

export function renderReport(report: TlsReport): SafeHtml {
  const attached = new Set(report.variables.flatMap((v) => (v.problem ? [v.problem.message] : [])));
  const general = report.problems.filter((problem) => !attached.has(problem.message));
  const count = report.problems.length;
  return html`
    <p class="panel-status ${report.ok ? 'is-ok' : 'is-bad'}">
      <span class="mark" aria-hidden="true">${report.ok ? '✔' : '✘'}</span>
      ${
        report.ok
          ? 'Ready: connections can present this client certificate.'
          : `${count} problem${count === 1 ? '' : 's'}: Test Connection with Use SSL fails until ${count === 1 ? 'it is' : 'they are'} fixed.`
      }
    </p>
    <ul class="variables">
      ${report.variables.map(
        (variable) => html`
        <li class="variable ${variable.problem ? 'is-bad' : variable.set ? 'is-ok' : 'is-unset'}">
          <div class="variable-name"><code>${variable.name}</code></div>
          <div class="variable-what">${WHAT[variable.name]}</div>
          <div class="variable-value">
            <span class="mark" aria-hidden="true">${variable.problem ? '✘' : variable.set ? '✔' : '–'}</span>
            <span class="visually-hidden">${variable.problem ? 'Problem:' : ''}</span>
            <span class="value">${variable.shown}</span>
          </div>
          ${variable.problem ? html`<p class="problem">${variable.problem.message}</p>` : null}
        </li>`,
      )}
    </ul>
    ${general.length > 0 ? html`<ul class="problems">${general.map((p) => html`<li class="problem">${p.message}</li>`)}</ul>` : null}
    ${clientCertificate(report)}
    ${storageFlags(report)}
    ${issuers(report)}
    ${
      report.warnings.length > 0
        ? html`<ul class="warnings">${report.warnings.map((w) => html`<li><strong>Warning:</strong> ${w}</li>`)}</ul>`
        : null
    }
  `;
}

function clientCertificate(report: TlsReport): SafeHtml | null {
  const cert = report.clientCertificate;
  if (cert === null) return null;
  const expiring = cert.daysLeft < EXPIRY_WARNING_DAYS;
  const loaded = cert.loadedWith === 'native' ? 'by Node.js' : `with the ${cert.loadedWith}`;
  return html`
    <h3>Client certificate</h3>
    <dl class="facts">
      <div><dt>Subject</dt><dd>${cert.subject}</dd></div>
      <div><dt>Issuer</dt><dd>${cert.issuer}</dd></div>
      <div class="${expiring ? 'is-warning' : ''}"><dt>Expires</dt><dd>${cert.validTo.slice(0, 10)} (${
        cert.daysLeft < 0 ? `expired ${-cert.daysLeft} days ago` : `${cert.daysLeft} days left`
      })</dd></div>
      <div class="${cert.keyMatches ? '' : 'is-bad'}"><dt>Key</dt><dd>${cert.keyType}, ${
        cert.keyMatches ? 'matches the certificate' : 'does NOT match the certificate'
      }</dd></div>
      <div><dt>File</dt><dd>${cert.path}, loaded ${loaded}${
        cert.chainLength !== null
          ? `; sends ${cert.chainLength} certificate${cert.chainLength === 1 ? '' : 's'}`
          : ''
      }</dd></div>
    </dl>`;
}

function storageFlags(report: TlsReport): SafeHtml | null {
  const flags = report.storageFlags;
  if (flags === null) return null;
  return html`
    <h3>Storage flags</h3>
    <p class="flags"><code>${flags.value}</code> = ${flags.names.length > 0 ? flags.names.join(' + ') : 'DefaultKeySet'}</p>
    <p class="hint">${flags.meaning}</p>`;
}

function issuers(report: TlsReport): SafeHtml | null {
  if (report.issuerCertificates.length === 0) return null;
  return html`
    <h3>Issuer certificates trusted</h3>
    <ul class="issuers">
      ${report.issuerCertificates.map(
        (issuer) =>
          html`<li>${issuer.subject} <span class="hint">(valid until ${issuer.validTo.slice(0, 10)}${issuer.isCa ? '' : ', not a CA'})</span></li>`,
      )}
    </ul>`;
}
