// Validates docker-compose.yml with the real Compose tool: `docker compose`
// (v2 plugin) when present, else Debian's `docker-compose` (v1, package
// docker-compose, installed by scripts/system-deps.js). Neither needs a Docker engine.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

jest.setTimeout(60_000);

function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'docker-compose.yml'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('docker-compose.yml not found above ' + __dirname);
    dir = up;
  }
  return dir;
}

const root = repoRoot();

function works(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

type Tool = { cmd: string; base: string[]; v2: boolean };
function composeTool(): Tool {
  if (works('docker', ['compose', 'version'])) {
    return { cmd: 'docker', base: ['compose', '-f', 'docker-compose.yml'], v2: true };
  }
  if (works('docker-compose', ['version'])) {
    return { cmd: 'docker-compose', base: ['-f', 'docker-compose.yml'], v2: false };
  }
  throw new Error(
    'Neither `docker compose` nor `docker-compose` is available to validate docker-compose.yml. ' +
      'Install the Debian package "docker-compose" (apt-get install -y docker-compose), ' +
      'or run `node scripts/system-deps.js` as root.',
  );
}

/** What the operator must set (the file has no defaults for them); anything else comes from the file. */
const REQUIRED = { SEGL_SECRET: 'x'.repeat(44), POSTGRES_PASSWORD: 'y'.repeat(48) };

function run(tool: Tool, args: string[], env: Record<string, string> = REQUIRED): string {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in REQUIRED)));
  return execFileSync(tool.cmd, [...tool.base, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...base, ...env },
  });
}

type Service = {
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
  container_name?: string;
};

/** `config` output as an object: v2 prints JSON on request; v1's YAML is converted
 *  with python3-yaml, which Debian's docker-compose package depends on. */
function loadConfig(tool: Tool): { services: Record<string, Service> } {
  if (tool.v2) return JSON.parse(run(tool, ['config', '--format', 'json']));
  const yamlText = run(tool, ['config']);
  const json = execFileSync('/usr/bin/python3', ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], {
    input: yamlText,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(json);
}

function hasHealthcheck(s: Service): boolean {
  const hc = s.healthcheck;
  if (!hc || hc.disable) return false;
  const test = Array.isArray(hc.test) ? hc.test : [hc.test];
  return test.length > 0 && test[0] !== 'NONE' && test[0] !== undefined;
}

function healthyDeps(s: Service): string[] {
  if (!s.depends_on || Array.isArray(s.depends_on)) return [];
  return Object.entries(s.depends_on)
    .filter(([, d]) => d?.condition === 'service_healthy')
    .map(([name]) => name);
}

describe('docker-compose.yml', () => {
  const tool = composeTool();

  it(`passes \`${tool.v2 ? 'docker compose' : 'docker-compose'} config -q\``, () => {
    // execFileSync throws (failing the test with Compose's stderr) on a non-zero exit.
    expect(() => run(tool, ['config', '-q'])).not.toThrow();
  });

  it.each(Object.keys(REQUIRED))('stops with a message when %s is not set (no placeholder default)', (name) => {
    const env = Object.fromEntries(Object.entries(REQUIRED).filter(([k]) => k !== name));
    let stderr = '';
    try {
      run(tool, ['config', '-q'], env);
    } catch (e) {
      stderr = String((e as { stderr?: string }).stderr);
    }
    expect(stderr).toContain(`set ${name}`);
  });

  it('defines api, worker, postgres and redis with health gating', () => {
    const { services } = loadConfig(tool);
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['api', 'worker', 'postgres', 'redis']));

    for (const name of ['api', 'worker']) {
      const svc = services[name];
      expect({ name, guarded: hasHealthcheck(svc) || healthyDeps(svc).length > 0 }).toEqual({ name, guarded: true });
      expect(healthyDeps(svc).sort()).toEqual(['postgres', 'redis']);
    }
    expect(hasHealthcheck(services.api)).toBe(true);
    expect(JSON.stringify(services.api.healthcheck?.test)).toContain('/readyz');
    expect(services.api.container_name).toBeUndefined(); // `--scale api=N` needs no fixed name
    expect(hasHealthcheck(services.postgres)).toBe(true);
    expect(hasHealthcheck(services.redis)).toBe(true);
  });
});
