/** PEM and DER certificate decoding shared by the issuer file and the PEM pair. */
import { X509Certificate } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Whether the bytes are PEM text (they hold a `-----BEGIN` line). */
export function looksLikePem(bytes: Buffer): boolean {
  return bytes.includes('-----BEGIN ');
}

/** The PEM blocks of the text with their labels (`CERTIFICATE`, `PRIVATE KEY`, …), in order. */
export function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1] ?? '', pem: `${m[0]}\n` }));
}

/** Every `CERTIFICATE` block of the PEM text; throws when one cannot be read. */
export function certificatesFromPem(text: string): X509Certificate[] {
  return pemBlocks(text)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => new X509Certificate(b.pem));
}

/** One or more DER certificates one after the other; throws when the bytes are not that. */
export function certificatesFromDer(bytes: Buffer): X509Certificate[] {
  const certs: X509Certificate[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const length = derElementLength(bytes, offset);
    certs.push(new X509Certificate(bytes.subarray(offset, offset + length)));
    offset += length;
  }
  return certs;
}

/** The full length (header included) of the DER SEQUENCE at `offset`. */
function derElementLength(bytes: Buffer, offset: number): number {
  if (bytes[offset] !== 0x30) throw new Error('not a DER SEQUENCE');
  const first = bytes[offset + 1] ?? 0;
  if (first < 0x80) return 2 + first;
  const octets = first & 0x7f;
  if (octets === 0 || octets > 4 || offset + 2 + octets > bytes.length) throw new Error('bad DER length');
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + (bytes[offset + 2 + i] ?? 0);
  const total = 2 + octets + length;
  if (offset + total > bytes.length) throw new Error('truncated DER');
  return total;
}
