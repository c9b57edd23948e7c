// The online sources of a signature's evidence: OCSP over HTTP (RFC 6960 Appendix A). trust/ builds and checks the
// messages; the network is here.

/** POST per RFC 6960 §A.1 with Node's fetch. */
export async function postOcsp(url: string, der: Uint8Array, timeoutMs = 10_000): Promise<Uint8Array> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
    body: new Uint8Array(der),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`OCSP responder ${url} answered HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}
