// Interop: python-zeep (strict, built from Signicat's REFERENCE WSDL, not segl's own) drives
// a real segl through a full request lifecycle. zeep validates every response against the
// reference schema (element order, enums, types), so this catches wire drift a JS client tolerates.
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { databases, startServer, type TestServer } from '../support/server';
import { REFERENCE_WSDL } from '../support/soap';

jest.setTimeout(120_000);

const PYTHON = '/usr/bin/python3';
const WSDL = REFERENCE_WSDL;
const CLIENT = path.join(__dirname, 'zeep_client.py');
const SDS_ID = /^\d{8}[0-9a-z]{49,50}$/;

interface DocStatus {
  id: string;
  original_uri: string | null;
  result_uri: string | null;
}
interface StatusInfo {
  request_id: string;
  task_id: string | null;
  task_status: string;
  client_reference: string | null;
  client_status: string | null;
  document_status: DocStatus[];
}
interface ZeepResult {
  zeep_version: string;
  client_reference: string;
  createRequest: { request_ids: string[]; artifact: string | null };
  getStatus: StatusInfo[];
  getRequestHistory: { event: string; event_time: string | null; data: string | null }[];
  getTask: {
    id: string;
    subject_ref: string | null;
    depends_on_task: string[];
    document_actions: { type: string; document_ref: string | null }[];
    authentication_methods: string[];
  } | null;
  findTasks: { request_id: string; task_id: string; task_status: string; client_reference: string | null }[];
  getTaskCount: number;
  setClientStatus: null;
  clientStatusAfter: Record<string, string | null>;
  createArtifact: string | null;
  deleteRequest: number;
  wrongPassword: { raised: boolean; message?: string; code?: string | null };
}

/** Fails (never skips) when Debian's python3-zeep is missing. */
function requireZeep(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import zeep'], { stdio: 'pipe', timeout: 30_000 });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(
      `${PYTHON} cannot import zeep (${(err.stderr?.toString() || err.message).trim()}). ` +
        'Install it with `apt-get install python3-zeep` (Debian package; the python3 first on PATH is not used).',
    );
  }
}

function runZeep(endpoint: string, password: string): Promise<ZeepResult> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [CLIENT, WSDL, endpoint, 'demo', password],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`zeep_client.py failed (${err.message.split('\n')[0]}):\n${stderr}\nstdout:\n${stdout}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout) as ZeepResult);
        } catch (e) {
          reject(new Error(`zeep_client.py printed no JSON (${(e as Error).message}):\n${stdout}\nstderr:\n${stderr}`));
        }
      },
    );
  });
}

test('prerequisites: python3-zeep and the reference WSDL are present', () => {
  requireZeep();
  expect(fs.existsSync(WSDL)).toBe(true);
});

describe.each(databases())('zeep interop against segl (%s)', (db) => {
  let srv: TestServer;
  let r: ZeepResult;

  beforeAll(async () => {
    requireZeep();
    srv = await startServer(db);
    r = await runZeep(srv.endpoint, srv.demoPassword);
    if (process.env.ZEEP_DEBUG) process.stdout.write(JSON.stringify(r, null, 1) + '\n');
  });
  afterAll(async () => {
    await srv?.stop();
  });

  test('createRequest returns one SDS-format request id', () => {
    expect(r.createRequest.request_ids).toHaveLength(1);
    expect(r.createRequest.request_ids[0]).toMatch(SDS_ID);
    // no task asked for authentication/@artifact, so no artifact
    expect(r.createRequest.artifact).toBeNull();
  });

  test('getStatus returns one created task-status-info per task with original URIs', () => {
    const rid = r.createRequest.request_ids[0];
    expect(r.getStatus).toHaveLength(2);
    expect(r.getStatus.map((s) => s.task_id)).toEqual(['t1', 't2']);
    for (const s of r.getStatus) {
      expect(s.request_id).toBe(rid);
      expect(s.task_status).toBe('created');
      expect(s.client_reference).toBe(r.client_reference);
      expect(s.document_status).toHaveLength(1);
      expect(s.document_status[0].original_uri).toMatch(/\/original$/);
      expect(s.document_status[0].original_uri).toContain(`/doc/demo/order/${rid}/${s.task_id}/`);
    }
    expect(r.getStatus[0].document_status[0].id).toBe('d1');
    expect(r.getStatus[1].document_status[0].id).toBe('d2');
  });

  test('getRequestHistory contains request-created', () => {
    expect(r.getRequestHistory.map((e) => e.event)).toContain('request-created');
    for (const e of r.getRequestHistory) expect(e.event_time).toBeTruthy();
  });

  test('getTask returns the task as created', () => {
    expect(r.getTask).not.toBeNull();
    expect(r.getTask!.id).toBe('t2');
    expect(r.getTask!.subject_ref).toBe('s2');
    expect(r.getTask!.depends_on_task).toEqual(['t1']);
    expect(r.getTask!.document_actions).toEqual([{ type: 'sign', document_ref: 'd2' }]);
    expect(r.getTask!.authentication_methods).toEqual(['nemid']);
  });

  test('findTasks and getTaskCount filter on client-reference', () => {
    const rid = r.createRequest.request_ids[0];
    expect(r.findTasks).toHaveLength(2);
    for (const t of r.findTasks) {
      expect(t.request_id).toBe(rid);
      expect(t.client_reference).toBe(r.client_reference);
    }
    expect(r.findTasks.map((t) => t.task_id).sort()).toEqual(['t1', 't2']);
    expect(r.getTaskCount).toBe(2);
  });

  test('setClientStatus is void and is reflected in getStatus', () => {
    expect(r.setClientStatus).toBeNull();
    expect(r.clientStatusAfter.t1).toBe('zeep-seen');
  });

  test('createArtifact returns a 32-character artifact', () => {
    expect(r.createArtifact).toHaveLength(32);
  });

  test('deleteRequest deletes exactly one request', () => {
    expect(r.deleteRequest).toBe(1);
  });

  test('a wrong password raises a SOAP Fault mentioning the password', () => {
    expect(r.wrongPassword.raised).toBe(true);
    expect(r.wrongPassword.message).toMatch(/password/i);
  });
});
