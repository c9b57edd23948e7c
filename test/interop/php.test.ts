// Interop: PHP's SoapClient (Debian php-cli + php-soap), the client most Signicat integrations in
// PHP use, drives a real segl once from segl's served WSDL and once from Signicat's reference WSDL
// (test fixture), endpoint overridden by the `location` option. PHP's WSDL cache is off, so the
// run writes nothing outside the server's temporary data directory.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { databases, startServer, type TestServer } from '../support/server';
import { REFERENCE_WSDL } from '../support/soap';

jest.setTimeout(120_000);

const CLIENT = path.join(__dirname, 'php_client.php');
const SDS_ID = /^\d{8}[0-9a-z]{49,50}$/;
const INSTALL = 'apt-get install php-cli php-soap (scripts/system-deps.js does this on Debian)';

interface PhpResult {
  php_version: string;
  client_reference: string;
  createRequest: { request_ids: string[]; artifact: string | null };
  createWire: string;
  getStatus: {
    request_id: string;
    task_id: string;
    task_status: string;
    client_reference: string | null;
    document_status: { id: string; original_uri: string | null }[];
  }[];
  getRequestHistory: { event: string; event_time: string | null }[];
  unknownRequest: { raised: boolean; code?: string; message?: string };
  deleteRequest: number;
}

function php(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'php',
      ['-d', 'soap.wsdl_cache_enabled=0', ...args],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') reject(new Error(`php is missing: ${INSTALL}`));
          else reject(new Error(`php ${args.join(' ')} failed (${err.message.split('\n')[0]}):\n${stderr}\nstdout:\n${stdout}`));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/** Fails (never skips) when PHP or its SOAP extension is missing. */
async function requirePhpSoap(): Promise<void> {
  const { stdout } = await php(['-r', 'echo extension_loaded("soap") ? "yes" : "no";']);
  if (stdout.trim() !== 'yes') throw new Error(`PHP has no SOAP extension: ${INSTALL}`);
}

async function runClient(wsdl: string, srv: TestServer): Promise<PhpResult> {
  const { stdout, stderr } = await php([CLIENT, wsdl, srv.endpoint, 'demo', srv.demoPassword]);
  try {
    return JSON.parse(stdout) as PhpResult;
  } catch (e) {
    throw new Error(`php_client.php printed no JSON (${(e as Error).message}):\n${stdout}\nstderr:\n${stderr}`);
  }
}

test('prerequisites: php-cli with the SOAP extension is present', async () => {
  await requirePhpSoap();
});

describe.each(databases())('PHP SoapClient against segl (%s)', (db) => {
  let srv: TestServer;
  const results = new Map<string, PhpResult>();

  beforeAll(async () => {
    await requirePhpSoap();
    srv = await startServer(db);
    const [fromSegl, fromReference] = await Promise.all([runClient(`${srv.endpoint}?wsdl`, srv), runClient(REFERENCE_WSDL, srv)]);
    results.set('segl WSDL', fromSegl);
    results.set('reference WSDL', fromReference);
  });
  afterAll(async () => {
    await srv?.stop();
  });

  describe.each(['segl WSDL', 'reference WSDL'])('from the %s', (label) => {
    const r = (): PhpResult => results.get(label)!;

    test('createRequest sends the document as xsi:type provided-document and returns one request id', () => {
      expect(r().createWire).toMatch(/<ns1:document [^>]*xsi:type="ns1:provided-document"[^>]*>/);
      expect(r().createRequest.request_ids).toHaveLength(1);
      expect(r().createRequest.request_ids[0]).toMatch(SDS_ID);
      expect(r().createRequest.artifact).toBeNull();
    });

    test('getStatus returns the created task with its original URI', () => {
      const rid = r().createRequest.request_ids[0];
      expect(r().getStatus).toHaveLength(1);
      const s = r().getStatus[0]!;
      expect(s).toMatchObject({ request_id: rid, task_id: 't1', task_status: 'created', client_reference: r().client_reference });
      expect(s.document_status).toHaveLength(1);
      expect(s.document_status[0]!.id).toBe('d1');
      expect(s.document_status[0]!.original_uri).toMatch(new RegExp(`/doc/demo/order/${rid}/t1/d1/original$`));
    });

    test('getRequestHistory has request-created with a time', () => {
      const created = r().getRequestHistory.find((e) => e.event === 'request-created');
      expect(created?.event_time).toMatch(/^\d{4}-\d\d-\d\dT/);
    });

    test('an unknown request id is a SoapFault naming request-id', () => {
      expect(r().unknownRequest).toEqual({
        raised: true,
        code: 'soap:Client',
        message: 'request-id: no request "no-such-request" exists for service demo',
      });
    });

    test('deleteRequest deletes the request', () => {
      expect(r().deleteRequest).toBe(1);
    });
  });
});
