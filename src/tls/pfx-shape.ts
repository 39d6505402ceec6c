/**
 * The shape of a PKCS#12 file, read from its DER structure before any password is
 * tried: whether it is PKCS#12 at all, and whether it is whole.
 *
 * A file cut short (a copy interrupted, a transfer in text mode) or with a byte
 * changed otherwise reaches OpenSSL and node-forge as a "MAC verify failure" (read as a
 * wrong password) or as an unknown structure (read as legacy encryption). Its own
 * DER lengths tell: every element must fit in the one that holds it, and the outer
 * one must end where the file ends.
 */

export type PfxShape =
  /** Starts as PKCS#12 does and every length fits: let the loaders decide. */
  | { readonly kind: 'whole' }
  /** Not PKCS#12 (PEM text, random bytes, another DER structure). */
  | { readonly kind: 'not-pkcs12' }
  /** Starts as PKCS#12 does but ends before its outer length says. */
  | { readonly kind: 'truncated'; readonly size: number; readonly expectedSize: number | undefined }
  /** Starts as PKCS#12 does but an element overruns the one that holds it, at `offset`. */
  | { readonly kind: 'damaged'; readonly offset: number };

const SEQUENCE = 0x30;
/** `INTEGER 3`, the version every PKCS#12 PFX starts with. */
const VERSION_3 = [0x02, 0x01, 0x03];

interface Header {
  readonly headerLength: number;
  /** `undefined` for BER's indefinite length (some exporters use it). */
  readonly length: number | undefined;
}

export function pfxShape(bytes: Uint8Array): PfxShape {
  if (bytes.length === 0) return { kind: 'truncated', size: 0, expectedSize: undefined };
  if (bytes[0] !== SEQUENCE) return { kind: 'not-pkcs12' };
  const outer = readHeader(bytes, 0);
  if (outer === 'short') return { kind: 'truncated', size: bytes.length, expectedSize: undefined };
  if (outer === 'invalid') return { kind: 'not-pkcs12' };
  // The version that follows, as far as the file goes.
  const version = bytes.subarray(outer.headerLength, outer.headerLength + VERSION_3.length);
  if (version.some((byte, i) => byte !== VERSION_3[i])) return { kind: 'not-pkcs12' };

  const expectedSize = outer.length === undefined ? undefined : outer.headerLength + outer.length;
  if (expectedSize !== undefined && expectedSize > bytes.length) {
    return { kind: 'truncated', size: bytes.length, expectedSize };
  }
  const end = expectedSize ?? bytes.length;
  const broken = firstOverrun(bytes, outer.headerLength, end, 0);
  return broken === undefined ? { kind: 'whole' } : { kind: 'damaged', offset: broken };
}

const MAX_DEPTH = 32;

/**
 * The offset of the first element between `start` and `end` that does not fit, walking
 * into constructed elements. Inside an indefinite-length (BER) element the walk stops at
 * the first element it cannot size: it may miss damage there, never invent it.
 */
function firstOverrun(bytes: Uint8Array, start: number, end: number, depth: number): number | undefined {
  let offset = start;
  while (offset < end) {
    // BER's end-of-contents marker closes an indefinite-length element.
    if (bytes[offset] === 0 && bytes[offset + 1] === 0) return undefined;
    const header = readHeader(bytes, offset);
    if (header === 'short' || header === 'invalid') return offset;
    const contentStart = offset + header.headerLength;
    if (header.length === undefined) {
      return depth < MAX_DEPTH ? firstOverrun(bytes, contentStart, end, depth + 1) : undefined;
    }
    const contentEnd = contentStart + header.length;
    if (contentEnd > end) return offset;
    const constructed = ((bytes[offset] ?? 0) & 0x20) !== 0;
    if (constructed && depth < MAX_DEPTH) {
      const inner = firstOverrun(bytes, contentStart, contentEnd, depth + 1);
      if (inner !== undefined) return inner;
    }
    offset = contentEnd;
  }
  return undefined;
}

function readHeader(bytes: Uint8Array, offset: number): Header | 'short' | 'invalid' {
  // Tags above 30 take more bytes; PKCS#12 uses none.
  if (((bytes[offset] ?? 0) & 0x1f) === 0x1f) return 'invalid';
  if (offset + 2 > bytes.length) return 'short';
  const first = bytes[offset + 1] ?? 0;
  if (first < 0x80) return { headerLength: 2, length: first };
  if (first === 0x80) return { headerLength: 2, length: undefined };
  const octets = first & 0x7f;
  if (octets > 4) return 'invalid';
  if (offset + 2 + octets > bytes.length) return 'short';
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + (bytes[offset + 2 + i] ?? 0);
  return { headerLength: 2 + octets, length };
}
