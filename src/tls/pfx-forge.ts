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
  return { kind: 'wrong-password', cause: lastCause };
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
