// Not a test of its own (the name does not end in .test.ts): test/integration/self-contained.test.ts runs
// this file with Jest inside a copy of the repository that has nothing beside it, with every fs
// call traced, to show that the code reading Signicat's reference WSDLs (test/support/soap.ts, used
// by the documentservice, wire, zeep, JAX-WS and PHP suites) finds them inside the checkout.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as soap from 'soap';
import { NS, REFERENCE_DIR, REFERENCE_WSDL, REPO, referenceXsd, xmllintErrors } from '../support/soap';

const inside = (p: string) => p.startsWith(REPO + path.sep);

test('the repository root is this checkout and the reference WSDLs are inside it', () => {
  expect(REPO).toBe(process.env.SEGL_PROBE_ROOT);
  expect(inside(REFERENCE_DIR)).toBe(true);
  expect(inside(REFERENCE_WSDL)).toBe(true);
  expect(existsSync(REFERENCE_WSDL)).toBe(true);
  expect(existsSync(path.join(REFERENCE_DIR, 'packagingservice-v4.wsdl'))).toBe(true);
});

test('xmllint validates payloads against the reference schema', async () => {
  referenceXsd();
  expect(await xmllintErrors(`<get-task-count-response xmlns="${NS}"><count>2</count></get-task-count-response>`)).toBe('');
  expect(await xmllintErrors(`<get-task-count-response xmlns="${NS}"><count>two</count></get-task-count-response>`)).toMatch(/count/);
});

test('node-soap builds a client from the reference WSDL', async () => {
  const client = await soap.createClientAsync(REFERENCE_WSDL);
  const ops = Object.keys(
    (client.describe() as Record<string, Record<string, Record<string, unknown>>>).DocumentService!.DocumentServiceEndPointPort!,
  );
  expect(ops).toEqual(expect.arrayContaining(['createRequest', 'getStatus', 'getRequestHistory', 'deleteRequest']));
});
