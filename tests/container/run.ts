/**
 * `npm run test:container`: builds the Dockerfile with podman and proves the image works as documented.
 * 1. compose.yaml and compose.azurite.yaml: valid, and laid out as the README says (./compose.ts).
 * 2. The base image, made when it cannot be pulled (./base-image.sh); the build.
 * 3. The image alone: `hiredb keys create` in a fresh volume, `serve --sample` on a free loopback port;
 *    /health, a 401 without the key, the sample's tasks and report against the independent computation,
 *    the non-root process, the HEALTHCHECK turning healthy (also on a host-restricted server), exit
 *    code 0 on `podman stop`.
 * 4. compose's layout without compose (its images cannot be pulled everywhere): a `serve --no-loader`
 *    container and a `loader` container on this machine's PostgreSQL (PG_TEST_URL, a database of their
 *    own, the host's network on loopback), first sharing a Blob volume, then on Azurite, whose Blob
 *    container is made by compose.azurite.yaml's own `blob-container` command. Files go in through the
 *    worker's upload API, so only the loader container can load them.
 * Containers, volumes and databases are removed whatever happens. Skips, saying so, only when this
 * machine cannot run podman at all.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { BlobServiceClient } from '@azure/storage-blob';
import pg from 'pg';
import { startAzurite } from '../helpers/azurite.ts';
import { freePort, http, waitFor } from '../helpers/processes.ts';
import { expectedSample, SAMPLE_FILES, type SampleExpectation } from '../helpers/sample.ts';
import { checkCompose, type ComposeService } from './compose.ts';
import { check, podman, printLogs, remove, runtimeFlags, streamed, succeeds } from './podman.ts';

const IMAGE = 'localhost/hiredb:test';
const PREFIX = `hiredb-test-${process.pid}`;
const PG_TEST_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BLOB_CONTAINER = 'hiredb';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function healthy(url: string, what: string): Promise<unknown> {
  return waitFor(`${what} to answer GET /health 200`, async () => {
    const res = await http(`${url}/health`);
    return res.status === 200 ? res.body : undefined;
  }, 60_000, 50);
}

/** Waits until the API lists the three sample tasks, all done. */
async function sampleTasksDone(url: string, init?: RequestInit): Promise<void> {
  await waitFor('the three sample tasks to be done', async () => {
    const tasks = (await http(`${url}/api/v1/tasks`, init)).body.tasks as { status: string }[];
    return tasks.length === 3 && tasks.every((t) => t.status === 'done') ? tasks : undefined;
  }, 60_000, 200);
}

/** Step 3; answers the time from `podman run` to the first /health 200. */
async function checkImageAlone(flags: string[], expected: SampleExpectation): Promise<number> {
  const name = `${PREFIX}-serve`;
  const volume = `${PREFIX}-var`;
  const url = `http://127.0.0.1:${await freePort()}`;
  await podman('creating the volume', ['volume', 'create', volume]);
  try {
    const key = await podman('creating an admin key in the volume', [
      'run', '--rm', ...flags, '-v', `${volume}:/app/var`, IMAGE, 'keys', 'create', '--role', 'admin', '--name', 'container-test',
    ]);
    check('`hiredb keys create` writes to the volume as the image user', /^hdb_[A-Za-z0-9_-]{43}$/.test(key), `stdout was ${JSON.stringify(key)}`);
    const auth = { headers: { authorization: `Bearer ${key}` } };

    const started = Date.now();
    await podman('starting serve --sample', [
      'run', '-d', '--name', name, ...flags, '-p', `${new URL(url).host}:8787`, '-v', `${volume}:/app/var`,
      IMAGE, 'serve', '--sample',
    ]);
    const health = await healthy(url, 'serve --sample');
    const startMs = Date.now() - started;
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

    const user = await podman('reading the image user', ['inspect', '--format', '{{.Config.User}}', name]);
    check('the image runs as user node', user === 'node', `Config.User is ${JSON.stringify(user)}`);
    const status = await podman('reading the process ids', ['exec', name, 'cat', '/proc/1/status']);
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    check('the server process is not root', uid !== undefined && uid !== '0', `PID 1 has Uid ${uid ?? '(unknown)'}`);

    await podman('running the HEALTHCHECK', ['healthcheck', 'run', name]);
    const state = await podman('reading the health status', ['inspect', '--format', '{{.State.Health.Status}}', name]);
    check('the HEALTHCHECK reports healthy', state === 'healthy', `health status is ${JSON.stringify(state)}`);

    await podman('stopping the container', ['stop', '-t', '15', name], 30_000);
    const exit = await podman('reading the exit code', ['inspect', '--format', '{{.State.ExitCode}}', name]);
    check('`podman stop` (SIGTERM) ends the server with exit code 0', exit === '0', `exit code ${exit}`);
    return startMs;
  } catch (e) {
    await printLogs([name]);
    throw e;
  } finally {
    await remove([name], [volume]);
  }
}

/** The HEALTHCHECK of a server that answers only HIREDB_ALLOWED_HOSTS (a bare 127.0.0.1 request gets 421). */
async function checkHealthcheckWithAllowedHosts(flags: string[]): Promise<void> {
  const name = `${PREFIX}-allowed-hosts`;
  try {
    await podman('starting serve with HIREDB_ALLOWED_HOSTS', [
      'run', '-d', '--name', name, ...flags, '-e', 'HIREDB_AUTH=off', '-e', 'HIREDB_ALLOWED_HOSTS=hiredb.example.com', IMAGE, 'serve',
    ]);
    await waitFor('the HEALTHCHECK of a host-restricted server to pass', () =>
      podman('running the HEALTHCHECK', ['healthcheck', 'run', name]).then(() => true),
    60_000, 200);
    console.log('  ok  the HEALTHCHECK passes on a server restricted to HIREDB_ALLOWED_HOSTS');
  } catch (e) {
    await printLogs([name]);
    throw e;
  } finally {
    await remove([name], []);
  }
}

/** Step 4, once per Blob store: a worker and a loader container on a new PostgreSQL database. */
async function checkWorkerAndLoader(flags: string[], expected: SampleExpectation, blob: { label: string; env: string[]; volume?: string }) {
  const database = `hiredb_container_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_TEST_URL });
  await admin.connect().catch((e: Error) => {
    throw new Error(`PostgreSQL at ${PG_TEST_URL} (PG_TEST_URL) does not answer: ${e.message}`);
  });
  const dbUrl = new URL(PG_TEST_URL);
  dbUrl.pathname = `/${database}`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const containers = [`${PREFIX}-worker`, `${PREFIX}-loader`];
  const env = ['-e', `DATABASE_URL=${dbUrl}`, '-e', 'HOST=127.0.0.1', '-e', `PORT=${port}`, ...blob.env];
  const common = ['run', '-d', ...flags, '--network', 'host', ...(blob.volume ? ['-v', `${blob.volume}:/app/var/blob`] : []), ...env];
  await admin.query(`CREATE DATABASE ${database}`);
  try {
    if (blob.volume) await podman('creating the Blob volume', ['volume', 'create', blob.volume]);
    await podman('starting the worker', [...common, '--name', containers[0], IMAGE, 'serve', '--no-loader']);
    await podman('starting the loader', [...common, '--name', containers[1], '--no-healthcheck', IMAGE, 'loader']);
    const health = await healthy(url, `the worker on PostgreSQL and ${blob.label}`);
    deepStrictEqual(health, { status: 'ok', database: 'postgres', blob: 'ok' });
    console.log(`  ok  a worker container on PostgreSQL and ${blob.label} answers /health ${JSON.stringify(health)}`);
    for (const [table, file] of Object.entries(SAMPLE_FILES)) {
      const res = await http(`${url}/api/v1/files/${table}.csv`, { method: 'PUT', body: await readFile(file) });
      check(`PUT /api/v1/files/${table}.csv to ${blob.label} is accepted`, res.status >= 200 && res.status < 300, `status ${res.status}: ${res.text}`);
    }
    await sampleTasksDone(url);
    console.log(`  ok  the loader container loaded the three files from ${blob.label}`);
    const report = await http(`${url}/api/v1/reports/hired-by-quarter?year=2021`);
    deepStrictEqual(report.body, expected.hiredByQuarter2021, `hired-by-quarter on PostgreSQL and ${blob.label} differs from the independent computation`);
    console.log(`  ok  hired-by-quarter on PostgreSQL and ${blob.label} equals the independent computation`);
    await podman('running the worker HEALTHCHECK', ['healthcheck', 'run', containers[0]]);
    console.log('  ok  the worker HEALTHCHECK passes');
  } catch (e) {
    await printLogs(containers);
    throw e;
  } finally {
    await remove(containers, blob.volume ? [blob.volume] : []);
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

/** Makes the Blob container the way compose.azurite.yaml does: its blob-container command, in the image. */
async function makeBlobContainer(flags: string[], init: ComposeService | null, connectionString: string): Promise<void> {
  if (!init?.entrypoint) {
    console.log('  --  blob-container NOT run (compose was not read): the Blob container is made from here');
    await BlobServiceClient.fromConnectionString(connectionString).getContainerClient(BLOB_CONTAINER).createIfNotExists();
    return;
  }
  await podman('running blob-container', [
    'run', '--rm', ...flags, '--network', 'host', '--no-healthcheck',
    '-e', `AZURE_STORAGE_CONNECTION_STRING=${connectionString}`, '-e', `AZURE_BLOB_CONTAINER=${init.environment?.AZURE_BLOB_CONTAINER}`,
    '--entrypoint', JSON.stringify(init.entrypoint), IMAGE, ...(init.command ?? []),
  ]);
  const exists = await BlobServiceClient.fromConnectionString(connectionString).getContainerClient(BLOB_CONTAINER).exists();
  check("compose.azurite.yaml's blob-container command makes the Blob container", exists, `no container ${BLOB_CONTAINER} in Azurite`);
}

async function main(): Promise<void> {
  if (!(await succeeds('podman', ['info']))) {
    console.log('container test SKIPPED: this machine cannot run podman (`podman info` fails or podman is not installed)');
    return;
  }
  const init = await checkCompose();
  const flags = await runtimeFlags();
  const t0 = Date.now();
  await streamed('making the base image', 'bash', ['tests/container/base-image.sh']);
  const tBase = Date.now();
  await streamed('building the Dockerfile', 'podman', ['build', '--format', 'docker', ...flags, '-t', IMAGE, '.']);
  const tBuild = Date.now();
  const size = Number(await podman('reading the image size', ['image', 'inspect', '--format', '{{.Size}}', IMAGE]));

  const expected = expectedSample();
  const startMs = await checkImageAlone(flags, expected);
  await checkHealthcheckWithAllowedHosts(flags);
  await checkWorkerAndLoader(flags, expected, { label: 'a shared Blob volume', env: ['-e', 'BLOB_DIR=/app/var/blob'], volume: `${PREFIX}-blob` });
  const azurite = await startAzurite();
  try {
    await makeBlobContainer(flags, init, azurite.connectionString);
    await checkWorkerAndLoader(flags, expected, {
      label: 'Azurite',
      env: ['-e', `AZURE_STORAGE_CONNECTION_STRING=${azurite.connectionString}`, '-e', `AZURE_BLOB_CONTAINER=${BLOB_CONTAINER}`],
    });
  } finally {
    await azurite.stop();
  }
  console.log(
    `container: base image ${seconds(tBase - t0)}, build ${seconds(tBuild - tBase)}, image ${(size / 1e6).toFixed(0)} MB, ` +
      `start to first /health ${startMs} ms`,
  );
}

main().then(
  () => console.log('container test passed'),
  (e: Error) => {
    console.error(`container test FAILED: ${e.message}`);
    process.exitCode = 1;
  },
);
