// Interop: the JAX-WS reference implementation (Debian's jaxws on OpenJDK) with
// com.sun.xml.ws.developer.SchemaValidationFeature on, the strictest common Java client setup:
// every request and response is validated against the WSDL's schema, and the schema itself must
// load first. wsimport runs on segl's served WSDLs (DocumentService and ArchiveService) and on
// Signicat's reference WSDL (test fixture), each into its own package; one javac compiles them
// with JaxwsClient.java / JaxwsArchiveClient.java. Everything is written to one temporary
// directory, removed afterwards; the JVMs run without perf data so nothing lands elsewhere.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { databases, startServer, type TestServer } from '../support/server';
import { REFERENCE_WSDL } from '../support/soap';

jest.setTimeout(180_000);

const JAXWS_RT = '/usr/share/java/jaxws-rt.jar';
const NO_PERF = '-XX:-UsePerfData';
const SDS_ID = /^\d{8}[0-9a-z]{49,50}$/;
const INSTALL = 'apt-get install jaxws openjdk-17-jdk-headless (scripts/system-deps.js does this on Debian)';

interface FlowResult {
  client_reference: string;
  createRequest: { request_ids: string[]; artifact: string | null };
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
interface ArchiveResult {
  removed: number;
  unknownDocument: { raised: boolean; code?: string; message?: string };
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT') reject(new Error(`${cmd} is missing: ${INSTALL}`));
        else reject(Object.assign(new Error(`${cmd} ${args.join(' ')} failed: ${err.message.split('\n')[0]}`), { stdout, stderr }));
        return;
      }
      resolve({ stdout, stderr });
    });
  });
}

/** The lines of a Java failure that say what went wrong (the JVM prints SAAJ warnings around them). */
function javaCause(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => /Exception|Error|Caused by|s4s-|cvc-/.test(l) && !/^\s+at /.test(l));
  const hint = /s4s-att-not-allowed/.test(stderr)
    ? '\n=> the served WSDL declares xmlns:* on xsd:schema again; JAX-WS SchemaValidationFeature refuses such a schema (issue 10 item 18).'
    : '';
  return `${lines.slice(0, 8).join('\n')}${hint}`;
}

async function java<T>(classes: string, main: string, args: string[]): Promise<T> {
  let out: { stdout: string; stderr: string };
  try {
    out = await run('java', [NO_PERF, '-cp', `${classes}${path.delimiter}${JAXWS_RT}`, main, ...args]);
  } catch (e) {
    const err = e as Error & { stderr?: string; stdout?: string };
    throw new Error(
      `${main} failed:\n${javaCause(err.stderr ?? '')}\n--- stdout:\n${err.stdout ?? ''}\n--- full stderr:\n${err.stderr ?? err.message}`,
    );
  }
  try {
    return JSON.parse(out.stdout) as T;
  } catch (e) {
    throw new Error(`${main} printed no JSON (${(e as Error).message}):\n${out.stdout}\n${out.stderr}`);
  }
}

/** Fails (never skips) when the JDK or Debian's JAX-WS RI is missing. */
async function requireJaxws(): Promise<void> {
  if (!fs.existsSync(JAXWS_RT)) throw new Error(`${JAXWS_RT} is missing: ${INSTALL}`);
  await run('javac', ['-version']);
  await run('wsimport', ['-version'], { WSIMPORT_OPTS: NO_PERF });
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'segl-jaxws-'));
let compiled: Promise<string> | undefined;

/** wsimport on segl's served WSDLs and on the reference WSDL, then one javac; once per run. */
function compileClients(srv: TestServer): Promise<string> {
  compiled ??= (async () => {
    const src = path.join(work, 'src');
    const classes = path.join(work, 'classes');
    fs.mkdirSync(src);
    fs.mkdirSync(classes);
    const generate = (pkg: string, wsdl: string) =>
      run('wsimport', ['-quiet', '-Xnocompile', '-p', pkg, '-s', src, '-d', classes, wsdl], { WSIMPORT_OPTS: NO_PERF });
    await generate('segl', `${srv.endpoint}?wsdl`);
    await generate('reference', REFERENCE_WSDL);
    await generate('seglarchive', `${srv.url}/ws/archiveservice-v3?wsdl`);
    const template = (file: string, pkg: string) => {
      const text = fs.readFileSync(path.join(__dirname, file), 'utf8');
      if (!/^package PACKAGE;$/m.test(text)) throw new Error(`${file} has no "package PACKAGE;" line`);
      fs.writeFileSync(path.join(src, pkg, file), text.replace(/^package PACKAGE;$/m, `package ${pkg};`));
    };
    template('JaxwsClient.java', 'segl');
    template('JaxwsClient.java', 'reference');
    template('JaxwsArchiveClient.java', 'seglarchive');
    const sources = fs
      .readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.java'))
      .map((f) => path.join(src, f));
    await run('javac', [`-J${NO_PERF}`, '-nowarn', '-encoding', 'UTF-8', '-cp', JAXWS_RT, '-d', classes, ...sources]);
    return classes;
  })();
  return compiled;
}

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

test('prerequisites: a JDK, wsimport and the JAX-WS RI runtime are present', async () => {
  await requireJaxws();
});

describe.each(databases())('JAX-WS (SchemaValidationFeature) against segl (%s)', (db) => {
  let srv: TestServer;
  // Each client's outcome on its own, so one failing client does not hide what the others saw.
  const results = new Map<string, PromiseSettledResult<FlowResult>>();
  let archive: PromiseSettledResult<ArchiveResult>;
  const outcome = <T>(r: PromiseSettledResult<T>): T => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  };

  beforeAll(async () => {
    await requireJaxws();
    srv = await startServer(db);
    const classes = await compileClients(srv);
    const archiveEndpoint = `${srv.url}/ws/archiveservice-v3`;
    const [fromSegl, fromReference, archiveRun] = await Promise.allSettled([
      // the served WSDL is read again at run time: the schema the validation uses is segl's as served
      java<FlowResult>(classes, 'segl.JaxwsClient', [`${srv.endpoint}?wsdl`, srv.endpoint, 'demo', srv.demoPassword]),
      java<FlowResult>(classes, 'reference.JaxwsClient', [pathToFileURL(REFERENCE_WSDL).href, srv.endpoint, 'demo', srv.demoPassword]),
      java<ArchiveResult>(classes, 'seglarchive.JaxwsArchiveClient', [
        `${archiveEndpoint}?wsdl`,
        archiveEndpoint,
        'demo',
        srv.demoPassword,
      ]),
    ]);
    results.set('segl WSDL', fromSegl);
    results.set('reference WSDL', fromReference);
    archive = archiveRun;
  });
  afterAll(async () => {
    await srv?.stop();
  });

  describe.each(['segl WSDL', 'reference WSDL'])('classes generated from the %s', (label) => {
    const r = (): FlowResult => outcome(results.get(label)!);

    test('createRequest with a provided-document returns one SDS-format request id', () => {
      expect(r().createRequest.request_ids).toHaveLength(1);
      expect(r().createRequest.request_ids[0]).toMatch(SDS_ID);
      expect(r().createRequest.artifact).toBeNull();
    });

    test('getStatus returns the created task with its original URI', () => {
      const rid = r().createRequest.request_ids[0];
      expect(r().getStatus).toEqual([
        {
          request_id: rid,
          task_id: 't1',
          task_status: 'created',
          client_reference: r().client_reference,
          document_status: [
            { id: 'd1', original_uri: expect.stringMatching(new RegExp(`^https?://[^/]+/doc/demo/order/${rid}/t1/d1/original$`)) },
          ],
        },
      ]);
    });

    test('getRequestHistory has request-created with a time', () => {
      const created = r().getRequestHistory.find((e) => e.event === 'request-created');
      expect(created?.event_time).toMatch(/^\d{4}-\d\d-\d\dT/);
    });

    test('an unknown request id is a Client SOAP fault naming request-id', () => {
      expect(r().unknownRequest).toEqual({
        raised: true,
        code: 'Client',
        message: 'request-id: no request "no-such-request" exists for service demo',
      });
    });

    test('deleteRequest deletes the request', () => {
      expect(r().deleteRequest).toBe(1);
    });
  });

  test('ArchiveService: removeDocument round-trips and an unknown archive-id is a Client fault', () => {
    const a = outcome(archive);
    expect(a.removed).toBe(0);
    expect(a.unknownDocument.raised).toBe(true);
    expect(a.unknownDocument.code).toBe('Client');
    expect(a.unknownDocument.message).toMatch(/^archive-id: /);
  });
});
