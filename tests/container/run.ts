/**
 * `npm run test:container`: builds the Dockerfile with podman and proves the image works as documented.
 * Makes the base image first when it cannot be pulled (tests/container/base-image.sh), then, in a fresh
 * named volume: creates an admin key with `hiredb keys create`, runs `serve --sample` on a free loopback
 * port and checks /health, a 401 without the key, the three sample tasks and the hired-by-quarter report
 * against the independent computation, that the process runs as the non-root `node` user, and that the
 * image's HEALTHCHECK turns healthy. Removes the container and the volume whatever happens.
 * Skips (with the reason printed) only when this machine cannot run podman at all.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, http, REPO_DIR, waitFor } from '../helpers/processes.ts';
import { expectedSample, SAMPLE_FILES, type SampleExpectation } from '../helpers/sample.ts';

const run = promisify(execFile);
const IMAGE = 'localhost/hiredb:test';
const name = `hiredb-test-${process.pid}`;
const volume = `${name}-var`;
const PG_TEST_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// Above the number of files: with 2 slots a tick that lands while both dimension files load can stall a
// loader (pinned in tests/api/loader-idle.test.ts); as in tests/e2e/serve-sample.test.ts.
const LOAD_CONCURRENCY = '4';

/** Flags every container of this test gets: runc (crun trips over rlimits on hybrid cgroups) and ulimits. */
async function runtimeFlags(): Promise<string[]> {
  const runtime = process.env.CONTAINER_RUNTIME ?? ((await succeeds('runc', ['--version'])) ? 'runc' : '');
  return [...(runtime ? ['--runtime', runtime] : []), '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=1024:1024'];
}

async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  return run(cmd, args, { timeout: 60_000 }).then(
    () => true,
    () => false,
  );
}

/** Runs podman and answers its trimmed stdout; a failure names the step and carries podman's stderr. */
async function podman(step: string, args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await run('podman', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${step} failed: podman ${args.join(' ')}\n${(err.stderr ?? '').trim() || err.message}`);
  }
}

/** Runs a command with its output on this terminal (the base image, the build), failing on a non-zero exit. */
function streamed(step: string, cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: REPO_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (e) => reject(new Error(`${step} failed to start: ${e.message}`)));
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${step} failed: ${cmd} ${args.join(' ')} exited ${code ?? signal}`)),
    );
  });
}

function check(what: string, ok: boolean, detail: string): void {
  if (!ok) throw new Error(`${what}: ${detail}`);
  console.log(`  ok  ${what}`);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface ComposeService {
  image?: string;
  build?: { context: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  volumes?: string[];
}

/**
 * compose.yaml as docker-compose validates and normalises it (anchors merged, variables filled in), read
 * back as JSON through the YAML module docker-compose itself runs on; then the layout the README promises.
 */
async function checkCompose(): Promise<void> {
  if (!(await succeeds('docker-compose', ['version']))) {
    console.log('  --  compose.yaml NOT checked: docker-compose is not installed');
    return;
  }
  const normalised = await run('docker-compose', ['-f', 'compose.yaml', 'config'], { cwd: REPO_DIR }).catch((e) => {
    throw new Error(`compose.yaml is invalid: ${(e.stderr ?? e.message).trim()}`);
  });
  const asJson = await new Promise<string>((resolve, reject) => {
    const py = execFile('/usr/bin/python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], (e, out) =>
      e ? reject(new Error(`reading docker-compose's output: ${e.message}`)) : resolve(out),
    );
    py.stdin?.end(normalised.stdout);
  });
  const compose = JSON.parse(asJson) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
  const { services } = compose;
  check('compose.yaml has the worker, two loaders and PostgreSQL', Object.keys(services).sort().join() === 'loader-1,loader-2,postgres,worker', `services are ${Object.keys(services).join(', ')}`);
  check('compose.yaml keeps PostgreSQL and the Blob folder in volumes', Object.keys(compose.volumes ?? {}).sort().join() === 'blob,pgdata', `volumes are ${Object.keys(compose.volumes ?? {}).join(', ')}`);
  const pg = services.postgres;
  check('PostgreSQL has a pg_isready healthcheck', (pg.healthcheck?.test ?? []).includes('pg_isready'), JSON.stringify(pg.healthcheck));
  for (const [service, command] of [['worker', 'serve,--no-loader'], ['loader-1', 'loader'], ['loader-2', 'loader']]) {
    const s = services[service];
    const problems = [
      s.build?.context === REPO_DIR.replace(/\/$/, '') ? '' : `builds ${s.build?.context}`,
      s.command?.join() === command ? '' : `runs ${s.command?.join(' ')}`,
      s.depends_on?.postgres?.condition === 'service_healthy' ? '' : 'does not wait for PostgreSQL to be healthy',
      /@postgres:5432\//.test(s.environment?.DATABASE_URL ?? '') ? '' : `DATABASE_URL is ${s.environment?.DATABASE_URL}`,
      s.volumes?.some((v) => v.startsWith('blob:/app/var/blob')) ? '' : 'does not mount the blob volume',
    ].filter(Boolean);
    check(`compose ${service} runs \`${command.replace(',', ' ')}\` on PostgreSQL and the shared Blob folder`, problems.length === 0, problems.join('; '));
  }
  check('compose worker keeps the image HEALTHCHECK and publishes on loopback only', services.worker.healthcheck === undefined && (services.worker.ports ?? []).every((p) => p.startsWith('127.0.0.1:')), JSON.stringify({ healthcheck: services.worker.healthcheck, ports: services.worker.ports }));
  check('compose loaders, which have no HTTP port, disable the HEALTHCHECK', ['loader-1', 'loader-2'].every((l) => services[l].healthcheck?.test?.[0] === 'NONE'), 'a loader keeps the HTTP healthcheck');
}

/** Waits until the API lists the three sample tasks, all done. */
async function sampleTasksDone(url: string, init?: RequestInit): Promise<void> {
  await waitFor('the three sample tasks to be done', async () => {
    const tasks = (await http(`${url}/api/v1/tasks`, init)).body.tasks as { status: string }[];
    return tasks.length === 3 && tasks.every((t) => t.status === 'done') ? tasks : undefined;
  }, 60_000, 200);
}

/**
 * compose.yaml's layout without compose (whose PostgreSQL image cannot be pulled everywhere): a worker
 * (`serve --no-loader`) and a loader in two containers sharing a Blob volume, on this machine's
 * PostgreSQL (PG_TEST_URL) in a database of their own, through the host's network on loopback. Files go
 * in through the worker's upload API; only the loader container can load them.
 */
async function checkOnPostgres(flags: string[], image: string, expected: SampleExpectation): Promise<void> {
  const database = `hiredb_container_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_TEST_URL });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(`PostgreSQL at ${PG_TEST_URL} (PG_TEST_URL) does not answer: ${(e as Error).message}`);
  }
  const dbUrl = new URL(PG_TEST_URL);
  dbUrl.pathname = `/${database}`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const blob = `${name}-blob`;
  const containers = [`${name}-worker`, `${name}-loader`];
  const env = ['-e', `DATABASE_URL=${dbUrl}`, '-e', 'HOST=127.0.0.1', '-e', `PORT=${port}`, '-e', 'BLOB_DIR=/app/var/blob', '-e', `LOAD_CONCURRENCY=${LOAD_CONCURRENCY}`];
  const common = ['run', '-d', ...flags, '--network', 'host', '-v', `${blob}:/app/var/blob`, ...env];
  await admin.query(`CREATE DATABASE ${database}`);
  try {
    await podman('creating the Blob volume', ['volume', 'create', blob]);
    await podman('starting the worker on PostgreSQL', [...common, '--name', containers[0], image, 'serve', '--no-loader']);
    await podman('starting the loader on PostgreSQL', [...common, '--name', containers[1], '--no-healthcheck', image, 'loader']);
    const health = await waitFor('the worker on PostgreSQL to answer /health 200', async () => {
      const res = await http(`${url}/health`);
      return res.status === 200 ? res.body : undefined;
    }, 60_000, 50);
    deepStrictEqual(health, { status: 'ok', database: 'postgres', blob: 'ok' });
    console.log(`  ok  a worker container on PostgreSQL answers /health ${JSON.stringify(health)}`);
    for (const [table, file] of Object.entries(SAMPLE_FILES)) {
      const res = await http(`${url}/api/v1/files/${table}.csv`, { method: 'PUT', body: await readFile(file) });
      check(`PUT /api/v1/files/${table}.csv is accepted`, res.status >= 200 && res.status < 300, `status ${res.status}: ${res.text}`);
    }
    await sampleTasksDone(url);
    console.log('  ok  the loader container loaded the three uploaded files');
    const report = await http(`${url}/api/v1/reports/hired-by-quarter?year=2021`);
    deepStrictEqual(report.body, expected.hiredByQuarter2021, 'hired-by-quarter on PostgreSQL differs from the independent computation');
    console.log('  ok  hired-by-quarter on PostgreSQL equals the independent computation');
    await podman('running the worker HEALTHCHECK', ['healthcheck', 'run', containers[0]]);
    console.log('  ok  the worker HEALTHCHECK passes on PostgreSQL');
  } catch (e) {
    for (const c of containers) {
      const logs = await run('podman', ['logs', '--tail', '20', c]).then((r) => `${r.stdout}${r.stderr}`.trim(), () => '');
      if (logs) console.error(`--- last lines ${c} logged ---\n${logs}`);
    }
    throw e;
  } finally {
    for (const c of containers) await podman('removing a container', ['rm', '-f', '-t', '0', c]).catch(() => undefined);
    await podman('removing the Blob volume', ['volume', 'rm', '-f', blob]).catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

async function main(): Promise<void> {
  if (!(await succeeds('podman', ['info']))) {
    console.log('container test SKIPPED: this machine cannot run podman (`podman info` fails or podman is not installed)');
    return;
  }
  await checkCompose();
  const flags = await runtimeFlags();
  const t0 = Date.now();
  await streamed('making the base image', 'bash', ['tests/container/base-image.sh']);
  const tBase = Date.now();
  await streamed('building the Dockerfile', 'podman', ['build', '--format', 'docker', ...flags, '-t', IMAGE, '.']);
  const tBuild = Date.now();
  const size = Number(await podman('reading the image size', ['image', 'inspect', '--format', '{{.Size}}', IMAGE]));

  const expected = expectedSample();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  await podman('creating the volume', ['volume', 'create', volume]);
  try {
    const key = await podman('creating an admin key in the volume', [
      'run', '--rm', ...flags, '-v', `${volume}:/app/var`, IMAGE, 'keys', 'create', '--role', 'admin', '--name', 'container-test',
    ]);
    check('`hiredb keys create` writes to the volume as the image user', /^hdb_[A-Za-z0-9_-]{43}$/.test(key), `stdout was ${JSON.stringify(key)}`);
    const auth = { headers: { authorization: `Bearer ${key}` } };

    const tStart = Date.now();
    await podman('starting serve --sample', [
      'run', '-d', '--name', name, ...flags, '-p', `127.0.0.1:${port}:8787`, '-v', `${volume}:/app/var`,
      '-e', `LOAD_CONCURRENCY=${LOAD_CONCURRENCY}`, IMAGE, 'serve', '--sample',
    ]);
    const health = await waitFor('GET /health to answer 200', async () => {
      const res = await http(`${url}/health`);
      return res.status === 200 ? res.body : undefined;
    }, 60_000, 50);
    const coldStartMs = Date.now() - tStart;
    deepStrictEqual(health, { status: 'ok', database: 'sqlite', blob: 'ok' });
    console.log(`  ok  GET /health answers ${JSON.stringify(health)}`);

    const anonymous = await http(`${url}/api/v1/reports/hired-by-quarter?year=2021`);
    check('a report without the key is refused', anonymous.status === 401, `status ${anonymous.status}: ${anonymous.text}`);

    await sampleTasksDone(url, auth);
    console.log('  ok  the three sample tasks are done');
    const report = await http(`${url}/api/v1/reports/hired-by-quarter?year=2021`, auth);
    check('hired-by-quarter answers 200', report.status === 200, `status ${report.status}: ${report.text}`);
    deepStrictEqual(report.body, expected.hiredByQuarter2021, 'hired-by-quarter differs from the independent computation');
    console.log('  ok  hired-by-quarter equals the independent computation');

    const configuredUser = await podman('reading the image user', ['inspect', '--format', '{{.Config.User}}', name]);
    check('the image runs as user node', configuredUser === 'node', `Config.User is ${JSON.stringify(configuredUser)}`);
    const status = await podman('reading the process ids', ['exec', name, 'cat', '/proc/1/status']);
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    check('the server process is not root', uid !== undefined && uid !== '0', `PID 1 has Uid ${uid ?? '(unknown)'}`);

    await podman('running the HEALTHCHECK', ['healthcheck', 'run', name]);
    const healthStatus = await podman('reading the health status', ['inspect', '--format', '{{.State.Health.Status}}', name]);
    check('the HEALTHCHECK reports healthy', healthStatus === 'healthy', `health status is ${JSON.stringify(healthStatus)}`);

    await checkOnPostgres(flags, IMAGE, expected);

    console.log(
      `container: base image ${seconds(tBase - t0)}, build ${seconds(tBuild - tBase)}, image ${(size / 1e6).toFixed(0)} MB, ` +
        `start to first /health ${coldStartMs} ms`,
    );
  } catch (e) {
    const logs = await run('podman', ['logs', '--tail', '40', name]).then((r) => `${r.stdout}${r.stderr}`.trim(), () => '');
    if (logs) console.error(`--- last lines the container logged ---\n${logs}`);
    throw e;
  } finally {
    await podman('removing the container', ['rm', '-f', '-t', '0', name]).catch(() => undefined);
    await podman('removing the volume', ['volume', 'rm', '-f', volume]).catch(() => undefined);
  }
}

main().then(
  () => console.log('container test passed'),
  (e: Error) => {
    console.error(`container test FAILED: ${e.message}`);
    process.exitCode = 1;
  },
);
