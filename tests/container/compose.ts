/**
 * compose.yaml (and compose.yaml + compose.azurite.yaml) as docker-compose validates and normalises them
 * (anchors merged, override files applied, variables filled in), read back as JSON through the YAML
 * module docker-compose itself runs on; then checked against the layout the README promises.
 */
import { execFile } from 'node:child_process';
import { REPO_DIR } from '../helpers/processes.ts';
import { check, exec, succeeds } from './podman.ts';

export interface ComposeService {
  image?: string;
  build?: { context: string };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  volumes?: string[];
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const HIREDB_SERVICES = [
  ['worker', 'serve --no-loader'],
  ['loader-1', 'loader'],
  ['loader-2', 'loader'],
] as const;

async function normalised(files: string[]): Promise<Compose> {
  const config = await exec('docker-compose', [...files.flatMap((f) => ['-f', f]), 'config'], { cwd: REPO_DIR }).catch((e) => {
    throw new Error(`${files.join(' + ')} is invalid: ${(e.stderr ?? e.message).trim()}`);
  });
  const json = await new Promise<string>((resolve, reject) => {
    const py = execFile('/usr/bin/python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], (e, out) =>
      e ? reject(new Error(`reading docker-compose's output: ${e.message}`)) : resolve(out),
    );
    py.stdin?.end(config.stdout);
  });
  return JSON.parse(json) as Compose;
}

const names = (o: object | undefined) => Object.keys(o ?? {}).sort().join(', ');

function checkBase(compose: Compose): void {
  const { services } = compose;
  check('compose.yaml has the worker, two loaders and PostgreSQL', names(services) === 'loader-1, loader-2, postgres, worker', `services are ${names(services)}`);
  check('compose.yaml keeps PostgreSQL and the Blob folder in volumes', names(compose.volumes) === 'blob, pgdata', `volumes are ${names(compose.volumes)}`);
  check('PostgreSQL has a pg_isready healthcheck', (services.postgres.healthcheck?.test ?? []).includes('pg_isready'), JSON.stringify(services.postgres.healthcheck));
  for (const [service, command] of HIREDB_SERVICES) {
    const s = services[service];
    const problems = [
      s.build?.context === REPO_DIR.replace(/\/$/, '') ? '' : `builds ${s.build?.context}`,
      s.command?.join(' ') === command ? '' : `runs ${s.command?.join(' ')}`,
      s.depends_on?.postgres?.condition === 'service_healthy' ? '' : 'does not wait for PostgreSQL to be healthy',
      /@postgres:5432\//.test(s.environment?.DATABASE_URL ?? '') ? '' : `DATABASE_URL is ${s.environment?.DATABASE_URL}`,
      s.volumes?.some((v) => v.startsWith('blob:/app/var/blob')) ? '' : 'does not mount the blob volume',
      s.stop_grace_period === '15s' ? '' : `stop_grace_period is ${s.stop_grace_period} (HireDB may take 14 s to stop)`,
    ].filter(Boolean);
    check(`compose ${service} runs \`${command}\` on PostgreSQL and the shared Blob folder`, problems.length === 0, problems.join('; '));
  }
  const worker = services.worker;
  check(
    'compose worker keeps the image HEALTHCHECK and publishes on loopback only',
    worker.healthcheck === undefined && (worker.ports ?? []).length > 0 && (worker.ports ?? []).every((p) => p.startsWith('127.0.0.1:')),
    JSON.stringify({ healthcheck: worker.healthcheck, ports: worker.ports }),
  );
  check('compose loaders, which have no HTTP port, disable the HEALTHCHECK', ['loader-1', 'loader-2'].every((l) => services[l].healthcheck?.test?.[0] === 'NONE'), 'a loader keeps the HTTP healthcheck');
}

function checkAzurite(compose: Compose): ComposeService {
  const { services } = compose;
  check('compose.azurite.yaml adds Azurite and the blob-container step', names(services) === 'azurite, blob-container, loader-1, loader-2, postgres, worker', `services are ${names(services)}`);
  check('Azurite has a healthcheck', (services.azurite.healthcheck?.test ?? []).length > 1, JSON.stringify(services.azurite.healthcheck));
  const init = services['blob-container'];
  check('blob-container waits for Azurite to be healthy', init.depends_on?.azurite?.condition === 'service_healthy', JSON.stringify(init.depends_on));
  for (const [service] of HIREDB_SERVICES) {
    const s = services[service];
    const problems = [
      /BlobEndpoint=http:\/\/azurite:10000\//.test(s.environment?.AZURE_STORAGE_CONNECTION_STRING ?? '') ? '' : 'AZURE_STORAGE_CONNECTION_STRING does not name azurite',
      s.environment?.AZURE_BLOB_CONTAINER === init.environment?.AZURE_BLOB_CONTAINER ? '' : 'AZURE_BLOB_CONTAINER differs from the one blob-container creates',
      s.depends_on?.['blob-container']?.condition === 'service_completed_successfully' ? '' : 'does not wait for blob-container',
      s.depends_on?.postgres?.condition === 'service_healthy' ? '' : 'no longer waits for PostgreSQL',
    ].filter(Boolean);
    check(`compose ${service} with compose.azurite.yaml uses Azurite once its container exists`, problems.length === 0, problems.join('; '));
  }
  return init;
}

/**
 * Checks both files; answers the normalised blob-container service (its entrypoint is run for real
 * later), or null when docker-compose is not installed (said on the output).
 */
export async function checkCompose(): Promise<ComposeService | null> {
  if (!(await succeeds('docker-compose', ['version']))) {
    console.log('  --  compose.yaml NOT checked: docker-compose is not installed');
    return null;
  }
  checkBase(await normalised(['compose.yaml']));
  return checkAzurite(await normalised(['compose.yaml', 'compose.azurite.yaml']));
}
