import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEdge } from '../../worker/entry/build-edge.ts';
import { runSmoke } from './smoke-requests.ts';
import { prepareSmokeFixture, type SmokeFixture } from './setup.ts';
import { startWorkerdServer, type RunningWorkerd } from './workerd-process.ts';

describe('the smoke list on workerd (the edge bundle, PostgreSQL + Azurite)', () => {
  let fixture: SmokeFixture;
  let server: RunningWorkerd;

  beforeAll(async () => {
    await buildEdge();
    fixture = await prepareSmokeFixture();
    server = await startWorkerdServer(fixture.env);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await fixture?.cleanup();
  });

  it('answers every request of every round as expected, each on its own connection', async () => {
    const steps = await runSmoke(server.url, fixture, { runtime: 'workerd' });
    expect(steps.length).toBeGreaterThanOrEqual(30);
  }, 60_000);

  it('queues the new files of the Blob container on a scheduled event, once per file version', async () => {
    const container = BlobServiceClient.fromConnectionString(fixture.env.AZURE_STORAGE_CONNECTION_STRING).getContainerClient(fixture.env.AZURE_BLOB_CONTAINER);
    await container.getBlockBlobClient('jobs-scheduled.csv').upload('1,Scheduled\n', 12);
    const tasksOf = async () => {
      const res = await fetch(`${server.url}/api/v1/tasks?limit=1000`, { headers: { authorization: `Bearer ${fixture.keys.read}` } });
      return ((await res.json()) as { tasks: { id: number; file: string; status: string }[] }).tasks.filter((t) => t.file === 'jobs-scheduled.csv');
    };
    expect(await tasksOf()).toEqual([]);

    const first = await fetch(`${server.schedulerUrl}?cron=*/5+*+*+*+*`, { method: 'POST' });
    expect(first.status, server.output()).toBe(200);
    const queued = await tasksOf();
    expect(queued).toMatchObject([{ file: 'jobs-scheduled.csv', status: 'queued' }]);

    const second = await fetch(server.schedulerUrl, { method: 'POST' });
    expect(second.status).toBe(200);
    expect(await tasksOf()).toEqual(queued);
    expect(server.output()).toContain('scheduled poll of the Blob container');
  }, 60_000);
});
