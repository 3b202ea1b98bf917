/**
 * HireDB on Deno: what `hiredb serve` runs, with the HTTP side on `Deno.serve`. The same configuration
 * (the environment or a .env file), the same app and, unless `--no-loader`, the loader in the same process;
 * `--sample` seeds an empty local Blob folder as `serve --sample` does. SQLite runs on node:sqlite here.
 *
 *   deno run --node-modules-dir=manual --allow-net --allow-env --allow-read --allow-write \
 *     --allow-sys=osRelease,hostname worker/entry/deno.ts [--no-loader] [--sample]      (deno task serve)
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../shared/config/config.ts';
import { loadDotEnv } from '../../shared/config/dotenv.ts';
import { DatabaseMissingError } from '../../shared/adapters/open.ts';
import { consoleLogger } from '../../shared/platform/logger.ts';
import { runServer } from '../../loader/cli/serve.ts';
import { serveOnDeno } from './deno-server.ts';

const USAGE = 'usage: worker/entry/deno.ts [--no-loader] [--sample]';

async function main(argv: string[]): Promise<void> {
  let values: { 'no-loader'?: boolean; sample?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { 'no-loader': { type: 'boolean' }, sample: { type: 'boolean' } }, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\n${USAGE}`);
  }
  loadDotEnv();
  await runServer(loadConfig(), consoleLogger(), { http: true, loader: !values['no-loader'], sample: Boolean(values.sample), listen: serveOnDeno });
}

main(process.argv.slice(2)).catch((e) => {
  const expected = e instanceof ConfigError || e instanceof DatabaseMissingError;
  const detail = !expected && process.env.HIREDB_DEBUG ? (e as Error)?.stack : (e as Error)?.message;
  process.stderr.write(`hiredb: ${detail ?? String(e)}\n`);
  process.exit(1);
});
