import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from '../shared/config/config.ts';
import { loadDotEnv } from '../shared/config/dotenv.ts';
import { openDatabase } from '../shared/adapters/open.ts';
import { isReportName, parseReportYear, REPORT_COLUMNS, reportToCsv, sortHiredByQuarter, sortHiringAboveAverage } from '../shared/domain/reports.ts';
import { isTableName, type TableName } from '../shared/domain/tables.ts';
import { consoleLogger } from '../shared/platform/logger.ts';
import { taskView } from '../shared/domain/task-view.ts';
import { printRejects, printTable } from './cli-output.ts';
import { CliError, loadFiles } from './cli-load.ts';
import { runServer } from './serve.ts';
import { rejectsCsv } from '../shared/service/reject-pages.ts';

async function writeStream(stream: ReadableStream<Uint8Array>, out = process.stdout): Promise<void> {
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  }
}

const USAGE = `Usage: hiredb <command> [options]

Commands:
  serve [--sample] [--no-loader]   HTTP API on HOST:PORT, with the loader in the same process
  loader                           only the loader: polls the Blob container on LOAD_SCHEDULE
  load <file...> [--json] [--table T]
                                   load local CSV files now, in dependency order
  rejects <task-id> [--json | --format csv [--raw]]
                                   the records a task rejected, with line and reasons
  report <hired-by-quarter|hiring-above-average> [--year Y] [--format table|json|csv] [--raw]
                                   CSV cells that start like a formula get a leading ' unless --raw
  tasks [--json]                   the status table, newest first
  migrate                          apply database migrations

Configuration comes from the environment or .env: DATABASE_URL, BLOB_DIR, PORT, HOST,
LOAD_SCHEDULE, BATCH_SIZE, LOAD_CONCURRENCY, LOAD_LEASE_MS, AZURE_STORAGE_CONNECTION_STRING,
AZURE_BLOB_CONTAINER, AZURE_SQL_CONNECTION_STRING.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return command ? 0 : 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      sample: { type: 'boolean', default: false },
      'no-loader': { type: 'boolean', default: false },
      year: { type: 'string' },
      format: { type: 'string', default: 'table' },
      table: { type: 'string' },
      limit: { type: 'string' },
      raw: { type: 'boolean', default: false },
    },
  });
  loadDotEnv();
  const config = loadConfig();
  const log = consoleLogger();

  switch (command) {
    case 'serve':
      await runServer(config, log, { http: true, loader: !values['no-loader'], sample: values.sample });
      return -1; // keeps running
    case 'loader':
      await runServer(config, log, { http: false, loader: true, sample: values.sample });
      return -1;
    case 'migrate': {
      const db = await openDatabase(config.databaseUrl);
      await db.close();
      process.stdout.write(`migrations applied (${db.dialect})\n`);
      return 0;
    }
  }

  const db = await openDatabase(config.databaseUrl);
  try {
    switch (command) {
      case 'load': {
        if (positionals.length === 0) throw new CliError('load needs at least one file');
        if (values.table && !isTableName(values.table)) throw new CliError(`--table must be departments, jobs or hired_employees`);
        const results = await loadFiles(db, positionals, {
          batchSize: config.batchSize,
          leaseMs: config.leaseMs,
          table: values.table as TableName | undefined,
          progress: !values.json,
        });
        if (values.json) for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');
        else printTable(results as never, ['file', 'table', 'task_id', 'processed', 'inserted', 'already_exists', 'rejected']);
        return 0;
      }
      case 'rejects': {
        const id = Number(positionals[0]);
        if (!Number.isInteger(id) || id < 1) throw new CliError('rejects needs a task id');
        if (!(await db.tasks.get(id))) throw new CliError(`no task ${id}`);
        if (values.format === 'csv') await writeStream(rejectsCsv(db, id, { raw: values.raw }));
        else if (values.format === 'table') await printRejects(db, id, values.json);
        else throw new CliError('--format must be table or csv (or use --json)');
        return 0;
      }
      case 'report': {
        const name = positionals[0] ?? '';
        if (!isReportName(name)) throw new CliError('report needs hired-by-quarter or hiring-above-average');
        let year: number;
        try {
          year = parseReportYear(values.year);
        } catch (e) {
          throw new CliError((e as Error).message);
        }
        const rows =
          name === 'hired-by-quarter'
            ? sortHiredByQuarter(await db.reports.hiredByQuarter(year))
            : sortHiringAboveAverage(await db.reports.hiringAboveAverage(year));
        if (values.format === 'json') process.stdout.write(JSON.stringify(rows) + '\n');
        else if (values.format === 'csv') process.stdout.write(reportToCsv(rows, REPORT_COLUMNS[name], { raw: values.raw }));
        else if (values.format === 'table') printTable(rows as never, REPORT_COLUMNS[name]);
        else throw new CliError('--format must be table, json or csv');
        return 0;
      }
      case 'tasks': {
        const { tasks } = await db.tasks.list({ limit: 1000, offset: 0 });
        if (values.json) process.stdout.write(JSON.stringify(tasks.map(taskView)) + '\n');
        else
          printTable(
            tasks.map((t) => ({ ...t, ...t.summary, file: t.file_name, table: t.table_name ?? '', error: t.error ?? '' })),
            ['id', 'file', 'table', 'status', 'processed', 'inserted', 'already_exists', 'rejected', 'error'],
          );
        return 0;
      }
      default:
        throw new CliError(`unknown command "${command}"\n\n${USAGE}`);
    }
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e) => {
    const expected = e instanceof CliError || e instanceof ConfigError;
    const detail = !expected && process.env.HIREDB_DEBUG ? (e as Error)?.stack : (e as Error)?.message;
    process.stderr.write(`hiredb: ${detail ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
