// The servers under test, all in the bench process: segl (SQLite or a fresh PostgreSQL database),
// started through startRuntime exactly like the tests and the CLI, the baseline echo server, and the
// file baseline for the SDS transfers.
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import * as soap from 'soap';
import { loadConfig } from '../src/config';
import { startRuntime, WSDL_DIR } from '../src/runtime';
import { ENDPOINT_PATH } from './envelopes';

export type DbKind = 'sqlite' | 'postgres';

export const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.SEGL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const SERVICE = 'demo';
export const PASSWORD = 'bench-demo-password';

export interface BenchServer {
  label: string;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  /** the SOAP endpoint URL (the file baseline: its upload URL) */
  endpoint: string;
  stop(): Promise<void>;
}

/** Whether PostgreSQL answers at PG_URL (2 s connect timeout). */
export async function postgresAnswers(url = PG_URL): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A fresh database on the PG_URL server, as test/support/server.ts makes one; drop() removes it. */
export async function freshPgDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `segl_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * segl with HTTP on 127.0.0.1:<ephemeral>, a temp DATA_DIR, LOG_LEVEL silent, REDIS_URL from env or its
 * private Redis. `env` adds configuration (the SDS run raises SEGL_SDS_LIMIT).
 */
export async function startSegl(db: DbKind, env: Record<string, string> = {}): Promise<BenchServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'segl-bench-'));
  let pg: Awaited<ReturnType<typeof freshPgDatabase>> | undefined;
  const cleanup = async () => {
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    if (db === 'postgres') pg = await freshPgDatabase();
    const cfg = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      SEGL_DEMO_PASSWORD: PASSWORD,
      ...(pg ? { DATABASE_URL: pg.url } : {}),
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      ...env,
    });
    const rt = await startRuntime(cfg, { http: true, worker: false });
    return {
      label: `segl (${db === 'sqlite' ? 'SQLite' : 'PostgreSQL'})`,
      baseUrl: rt.url!,
      endpoint: `${rt.url!}${ENDPOINT_PATH}`,
      stop: async () => {
        try {
          await rt.close();
        } finally {
          await cleanup();
        }
      },
    };
  } catch (e) {
    await cleanup().catch(() => undefined);
    throw e;
  }
}

/** The fixed answer of the baseline: what a createRequest handler returns when it does no work. */
export const ECHO_RESPONSE = { 'request-id': ['01012026echo0000000000000000000000000000000000000000000'] };

/**
 * The baseline: node `soap` on a plain http.Server, serving segl's own WSDL, whose createRequest
 * handler returns ECHO_RESPONSE. It parses the same envelope against the same schema and writes a
 * create-request-response, so it measures SOAP-on-Node overhead with no validation, storage or auth.
 */
export async function startEcho(): Promise<BenchServer> {
  const server: Server = createServer((_req, res) => {
    // node-soap answers every request on its path itself; anything else is not ours.
    res.statusCode = 404;
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const base = `http://127.0.0.1:${port}`;
  const wsdl = readFileSync(path.join(WSDL_DIR, 'documentservice-v3.wsdl'), 'utf8').replace('{{PUBLIC_URL}}', base);
  const services = {
    DocumentService: {
      DocumentServiceEndPointPort: {
        createRequest: () => ECHO_RESPONSE,
      },
    },
  };
  await new Promise<void>((resolve, reject) => {
    soap.listen(server, { path: ENDPOINT_PATH, services, xml: wsdl, callback: (err: unknown) => (err ? reject(err) : resolve()) });
  });
  server.keepAliveTimeout = 65_000;
  return {
    label: 'echo (node soap 1.13)',
    baseUrl: base,
    endpoint: `${base}${ENDPOINT_PATH}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Paths of the file baseline; segl's SDS paths are /doc/{service}/sds and /doc/{service}/sds/{id}. */
export const FILE_BASELINE_UPLOAD = '/upload';
export const FILE_BASELINE_DOWNLOAD = '/files/';

/**
 * The SDS baseline: a bare `http.createServer` that writes a POSTed body to a file with
 * stream.pipeline → fs.createWriteStream (in a temp dir made like segl's DATA_DIR) and answers 201 with
 * the file's id, and serves GET /files/{id} with fs.createReadStream and a Content-Length. No auth,
 * hashing, checks or database: "moving bytes between a socket and a disk on Node".
 */
export async function startFileBaseline(): Promise<BenchServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-bench-'));
  let next = 0;
  const server: Server = createServer((req, res) => {
    const fail = (status: number, text: string): void => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${text}\n`);
    };
    if (req.method === 'POST' && req.url === FILE_BASELINE_UPLOAD) {
      const id = String(++next);
      pipeline(req, createWriteStream(path.join(dir, id), { flags: 'wx' })).then(
        () => {
          res.writeHead(201, { 'content-type': 'text/plain; charset=ISO-8859-1' });
          res.end(id);
        },
        (e: Error) => fail(500, `upload failed: ${e.message}`),
      );
      return;
    }
    const m =
      req.method === 'GET' && req.url?.startsWith(FILE_BASELINE_DOWNLOAD)
        ? /^(\d+)$/.exec(req.url.slice(FILE_BASELINE_DOWNLOAD.length))
        : null;
    if (!m) {
      fail(404, 'not found');
      return;
    }
    const file = path.join(dir, m[1]!);
    stat(file).then(
      (st) => {
        res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(st.size) });
        pipeline(createReadStream(file), res).catch(() => res.destroy());
      },
      () => fail(404, 'not found'),
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  server.keepAliveTimeout = 65_000;
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    label: 'file baseline (node http + fs streams)',
    baseUrl: base,
    endpoint: `${base}${FILE_BASELINE_UPLOAD}`,
    stop: async () => {
      try {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
