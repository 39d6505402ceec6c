/**
 * PKCS#12 decoding with node-forge: the fallback for files Node's OpenSSL 3 refuses
 * (RC2-40 and other legacy encryption, as exported by older Windows), and the way to
 * see the extra certificates of any file, which Node does not expose.
 *
 * node-forge only understands RSA keys and certificates as objects. For anything else
 * (EC) it leaves the decrypted ASN.1 on the bag, which is all we need: keys become
 * PKCS#8 DER for `crypto.createPrivateKey`, certificates DER for X509Certificate.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

export type ForgeDecoding =
  | {
      readonly kind: 'decoded';
      readonly keys: readonly KeyObject[];
      readonly certificates: readonly X509Certificate[];
    }
  | { readonly kind: 'not-pkcs12'; readonly cause: unknown }
  | { readonly kind: 'wrong-password'; readonly cause: unknown }
  /** A password decrypts the content, but the file's integrity check (its MAC) fails: the file was changed. */
  | { readonly kind: 'damaged'; readonly cause: unknown }
  | { readonly kind: 'unsupported'; readonly cause: unknown };

const { asn1, pkcs12, pki } = forge;

/** Decodes the PFX with the first password candidate that opens it. */
export function decodePfxWithForge(bytes: Buffer, passwords: readonly (string | undefined)[]): ForgeDecoding {
  let structure: forge.asn1.Asn1;
  try {
    structure = asn1.fromDer(bytes.toString('binary'), false);
  } catch (cause) {
    return { kind: 'not-pkcs12', cause };
  }
  let lastCause: unknown;
  let macRefused = false;
  for (const password of passwords) {
    let p12: forge.pkcs12.Pkcs12Pfx;
    try {
      // `undefined` is forge's "no password" (an absent BMPString), which some Windows
      // exports use instead of the empty one.
      p12 = pkcs12.pkcs12FromAsn1(structure, false, password);
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      if (/password/i.test(message)) {
        lastCause = cause;
        macRefused ||= /MAC could not be verified/i.test(message);
        continue;
      }
      if (/^Cannot read PKCS#12 PFX|not an PKCS#12|Too few bytes|Unparsed DER/i.test(message)) {
        return { kind: 'not-pkcs12', cause };
      }
      return { kind: 'unsupported', cause };
    }
    try {
      return { kind: 'decoded', keys: keysOf(p12), certificates: certificatesOf(p12) };
    } catch (cause) {
      return { kind: 'unsupported', cause };
    }
  }
  if (macRefused && decryptsWithoutMac(structure, passwords)) return { kind: 'damaged', cause: lastCause };
  return { kind: 'wrong-password', cause: lastCause };
}

/**
 * Whether a password decrypts every encrypted part of the file, its MAC left aside.
 * The MAC fails alike for a wrong password and for a changed byte. Decryption tells
 * them apart: with the right password each part ends in valid padding and starts
 * with a DER SEQUENCE exactly as long as the part; with a wrong one that happens by
 * chance about once in 2^24 per part. A changed byte garbles one block of one part,
 * which leaves both checks true unless it hits the first or the last blocks.
 */
function decryptsWithoutMac(structure: forge.asn1.Asn1, passwords: readonly (string | undefined)[]): boolean {
  let parts: EncryptedPart[];
  try {
    parts = encryptedParts(structure);
  } catch {
    return false;
  }
  if (parts.length === 0) return false;
  return passwords.some((password) => parts.every((part) => decryptsCleanly(part, password)));
}

interface EncryptedPart {
  readonly algorithm: string;
  readonly parameters: forge.asn1.Asn1;
  readonly encrypted: string;
}

const PKCS7_DATA = '1.2.840.113549.1.7.1';
const PKCS7_ENCRYPTED_DATA = '1.2.840.113549.1.7.6';
const SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';

/** The encrypted content infos of the authenticated safe, and the shrouded key bags of its plain ones. */
function encryptedParts(pfx: forge.asn1.Asn1): EncryptedPart[] {
  const authSafe = contentOf(children(pfx)[1]);
  const parts: EncryptedPart[] = [];
  for (const info of children(asn1.fromDer(octets(authSafe), false))) {
    const [type, wrapped] = children(info);
    const content = children(wrapped)[0];
    const oid = asn1.derToOid(String(type?.value));
    if (oid === PKCS7_ENCRYPTED_DATA) {
      const [, encryptedContentInfo] = children(content);
      const [, algorithm, encrypted] = children(encryptedContentInfo);
      parts.push(encryptedPart(algorithm, encrypted));
    } else if (oid === PKCS7_DATA) {
      for (const bag of children(asn1.fromDer(octets(content), false))) {
        const [bagId, bagValue] = children(bag);
        if (asn1.derToOid(String(bagId?.value)) !== SHROUDED_KEY_BAG) continue;
        const [algorithm, encrypted] = children(children(bagValue)[0]);
        parts.push(encryptedPart(algorithm, encrypted));
      }
    }
  }
  return parts;
}

function encryptedPart(
  algorithm: forge.asn1.Asn1 | undefined,
  encrypted: forge.asn1.Asn1 | undefined,
): EncryptedPart {
  const [oid, parameters] = children(algorithm);
  if (!oid || !parameters || !encrypted) throw new Error('incomplete encryption parameters');
  return { algorithm: asn1.derToOid(String(oid.value)), parameters, encrypted: octets(encrypted) };
}

function decryptsCleanly(part: EncryptedPart, password: string | undefined): boolean {
  try {
    const cipher = (pki as unknown as { pbe: PbeApi }).pbe.getCipher(
      part.algorithm,
      part.parameters,
      password,
    );
    cipher.update(forge.util.createBuffer(part.encrypted));
    if (!cipher.finish()) return false;
    const plain = Buffer.from(cipher.output.getBytes(), 'binary');
    return plain[0] === 0x30 && derLength(plain) === plain.length;
  } catch {
    return false;
  }
}

interface PbeApi {
  getCipher(
    oid: string,
    parameters: forge.asn1.Asn1,
    password: string | undefined,
  ): {
    update(data: forge.util.ByteStringBuffer): void;
    finish(): boolean;
    output: forge.util.ByteStringBuffer;
  };
}

/** Header and content length of the DER element at the start of `bytes`, or -1. */
function derLength(bytes: Buffer): number {
  const first = bytes[1] ?? 0;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4) return -1;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (bytes[2 + i] ?? 0);
  return 2 + count + length;
}

function children(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  return node && Array.isArray(node.value) ? node.value : [];
}

/** The content of an `[0] EXPLICIT` wrapper. */
function contentOf(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1 | undefined {
  return children(node)[1] ? children(children(node)[1])[0] : undefined;
}

/** The bytes of an OCTET STRING, primitive or (BER) constructed of chunks. */
function octets(node: forge.asn1.Asn1 | undefined): string {
  if (!node) throw new Error('missing OCTET STRING');
  return typeof node.value === 'string' ? node.value : children(node).map(octets).join('');
}

function bagsOf(p12: forge.pkcs12.Pkcs12Pfx, type: string): forge.pkcs12.Bag[] {
  return p12.getBags({ bagType: type })[type] ?? [];
}

function keysOf(p12: forge.pkcs12.Pkcs12Pfx): KeyObject[] {
  const bags = [...bagsOf(p12, pki.oids.pkcs8ShroudedKeyBag ?? ''), ...bagsOf(p12, pki.oids.keyBag ?? '')];
  return bags.map((bag) => {
    const info =
      undecoded(bag) ?? (bag.key ? pki.wrapRsaPrivateKey(pki.privateKeyToAsn1(bag.key)) : undefined);
    if (!info) throw new Error('empty key bag');
    return createPrivateKey({ key: derBytes(info), format: 'der', type: 'pkcs8' });
  });
}

function certificatesOf(p12: forge.pkcs12.Pkcs12Pfx): X509Certificate[] {
  return bagsOf(p12, pki.oids.certBag ?? '').map((bag) => {
    // forge re-encodes a parsed certificate from the ASN.1 it captured, so the bytes
    // (and the signature over them) are the original ones.
    const cert = undecoded(bag) ?? (bag.cert ? pki.certificateToAsn1(bag.cert) : undefined);
    if (!cert) throw new Error('empty certificate bag');
    return new X509Certificate(derBytes(cert));
  });
}

/** The ASN.1 forge leaves on a bag whose content it could not turn into an object (an EC key or certificate). */
function undecoded(bag: forge.pkcs12.Bag): forge.asn1.Asn1 | undefined {
  return (bag as { asn1?: forge.asn1.Asn1 }).asn1;
}

function derBytes(value: forge.asn1.Asn1): Buffer {
  return Buffer.from(asn1.toDer(value).getBytes(), 'binary');
}
