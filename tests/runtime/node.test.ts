import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../helpers/processes.ts';
import { runSmoke } from './smoke-requests.ts';
import { prepareSmokeFixture, type SmokeFixture } from './setup.ts';

describe('the smoke list on Node (hiredb serve, PostgreSQL + Azurite)', () => {
  let fixture: SmokeFixture;
  let server: RunningServer;

  beforeAll(async () => {
    fixture = await prepareSmokeFixture();
    server = await startServer(['serve'], { env: { ...fixture.env, LOAD_SCHEDULE: '*/1 * * * * *' } });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await fixture?.cleanup();
  });

  it('answers every request of every round as expected', async () => {
    const steps = await runSmoke(server.url, fixture, { runtime: 'node' });
    expect(steps.length).toBeGreaterThanOrEqual(30);
  }, 60_000);
});
