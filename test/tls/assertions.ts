/** Assertions shared by the TLS tests. */
import assert from 'node:assert/strict';
import { TlsError, type TlsErrorCode, type TlsVariableName } from '../../src/tls/index.ts';
import { PFX_PASSWORD } from '../support/pki.ts';

/**
 * `action` throws a TlsError with `code`, whose message names `variable` (and `path`,
 * when given) and never contains the PFX password.
 */
export function assertTlsError(
  action: () => unknown,
  code: TlsErrorCode,
  expected: { variable: TlsVariableName; path?: string; mentions?: readonly string[] },
): TlsError {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof TlsError, `expected a TlsError ${code}, got ${String(thrown)}`);
  assert.equal(thrown.code, code, thrown.message);
  assert.equal(thrown.name, 'TlsError');
  assert.equal(thrown.variable, expected.variable);
  assert.ok(
    thrown.message.includes(expected.variable),
    `the message names ${expected.variable}: ${thrown.message}`,
  );
  if (expected.path)
    assert.ok(
      thrown.message.includes(expected.path),
      `the message names ${expected.path}: ${thrown.message}`,
    );
  for (const text of expected.mentions ?? []) {
    assert.ok(thrown.message.includes(text), `the message mentions "${text}": ${thrown.message}`);
  }
  assertNoSecret(thrown.message);
  return thrown;
}

/** Neither the PFX password nor any part of it that could identify it. */
export function assertNoSecret(text: string): void {
  assert.ok(!text.includes(PFX_PASSWORD), `a password leaked: ${text}`);
  assert.ok(!text.includes('S3cret'), `a password leaked: ${text}`);
}
