// PKCS#12 (RFC 7292) key stores, for a production seal key and its chain. Parsed with node-forge;
// the key is handed to WebCrypto as PKCS#8 and never written anywhere.
// first: it loads reflect-metadata, which @peculiar/x509 needs before it loads
import { crypto, type CryptoKeyPair } from '../crypto';
import * as x509 from '@peculiar/x509';
import forge from 'node-forge';

export interface KeyStoreEntry {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
  /** the other certificates in the file (issuing CAs, root) */
  chain: x509.X509Certificate[];
}

/** Reads the one private key and its certificate (plus the chain) from a PKCS#12 file. */
export async function readPkcs12(der: Uint8Array, passphrase: string): Promise<KeyStoreEntry> {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(der).toString('binary'))), passphrase);
  } catch (e) {
    throw new Error(`the PKCS#12 file cannot be opened (wrong passphrase or not PKCS#12): ${(e as Error).message}`);
  }
  const bags = (type: string) => p12.getBags({ bagType: type })[type] ?? [];
  const keyBag = [...bags(forge.pki.oids.pkcs8ShroudedKeyBag!), ...bags(forge.pki.oids.keyBag!)][0];
  if (!keyBag?.key) throw new Error('the PKCS#12 file holds no private key');
  const certs = bags(forge.pki.oids.certBag!).flatMap((b) =>
    b.cert ? [new x509.X509Certificate(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(b.cert)).getBytes(), 'binary'))] : [],
  );
  const pkcs8 = Buffer.from(
    forge.asn1.toDer(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(keyBag.key as forge.pki.rsa.PrivateKey))).getBytes(),
    'binary',
  );
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, alg, true, ['sign']);
  // The certificate whose public key matches the private key is the leaf.
  const spki = Buffer.from(await crypto.subtle.exportKey('spki', await publicFromPrivate(privateKey)));
  const leaf = certs.find((c) => Buffer.from(c.publicKey.rawData).equals(spki));
  if (!leaf) throw new Error('the PKCS#12 file holds no certificate for its private key');
  const publicKey = await leaf.publicKey.export(alg, ['verify'], crypto as never);
  return { certificate: leaf, keys: { privateKey, publicKey }, chain: certs.filter((c) => c !== leaf) };
}

/** The public half of an RSA private key (WebCrypto cannot derive it directly: go through JWK). */
async function publicFromPrivate(key: CryptoKeyPair['privateKey']) {
  const jwk = await crypto.subtle.exportKey('jwk', key);
  return crypto.subtle.importKey('jwk', { kty: jwk.kty, n: jwk.n, e: jwk.e }, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, [
    'verify',
  ]);
}
