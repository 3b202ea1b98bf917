// Only what parsing the command line needs is imported here: each command loads its modules (drivers,
// the HTTP app, the task runner, the configuration schema) when it runs, so `--help` and a bad option
// answer without reading them.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Config } from '../../shared/config/config.ts';
import { DatabaseMissingError, openDatabase } from '../../shared/adapters/open.ts';
import { isReportName, parseReportYear, REPORT_COLUMNS, REPORTS, reportToCsv } from '../../shared/domain/reports.ts';
import { isTableName, TABLES, type TableName } from '../../shared/domain/tables.ts';
import { consoleLogger } from '../../shared/platform/logger.ts';
import { ENCODINGS, isEncoding, type Encoding } from '../../shared/csv/decode.ts';
import { VERSION } from '../../shared/version.ts';
import { ROLES } from '../../shared/domain/roles.ts';
import type { Database } from '../../shared/ports/database.port.ts';
import { CliError } from './cli-error.ts';

async function writeStream(stream: ReadableStream<Uint8Array>, out = process.stdout): Promise<void> {
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

interface Command {
  summary: string;
  /** Arguments and options after the command name, for the usage line. */
  usage: string;
  options: Options;
  /** How many positional arguments the command takes. */
  args: { min: number; max: number };
  /** Long-running commands resolve only when the process is asked to stop. */
  run(ctx: { values: Values; positionals: string[]; config: Config }): Promise<number>;
}

const FORMATS = ['table', 'json', 'csv'] as const;

/** Commands that only read: they refuse a SQLite file that does not exist instead of creating an empty one. */
const readOnly = (config: Config) => openDatabase(config.databaseUrl, { mustExist: true, timeouts: config.databaseTimeouts });

async function withDatabase<T>(open: Promise<Database>, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await open;
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'the HTTP API on HOST:PORT, with the loader in the same process',
    usage: '[--sample] [--no-loader]',
    options: { sample: { type: 'boolean' }, 'no-loader': { type: 'boolean' } },
    args: { min: 0, max: 0 },
    async run({ values, config }) {
      const { runServer } = await import('./serve.ts');
      await runServer(config, consoleLogger(), { http: true, loader: !values['no-loader'], sample: Boolean(values.sample) });
      return new Promise<number>(() => {}); // runs until a signal stops the process
    },
  },
  loader: {
    summary: 'only the loader: polls the Blob container on LOAD_SCHEDULE and loads new files',
    usage: '',
    options: {},
    args: { min: 0, max: 0 },
    async run({ config }) {
      const { runServer } = await import('./serve.ts');
      await runServer(config, consoleLogger(), { http: false, loader: true, sample: false });
      return new Promise<number>(() => {});
    },
  },
  load: {
    summary:
      'loads local CSV files (.csv or .csv.gz) now, in dependency order (departments, jobs, hired_employees); an unchanged file loaded before is resumed or answered from its task, --restart loads it anew',
    usage: `<file...> [--json] [--table T] [--encoding ${ENCODINGS.join('|')}] [--restart]`,
    options: { json: { type: 'boolean' }, table: { type: 'string' }, encoding: { type: 'string' }, restart: { type: 'boolean' } },
    args: { min: 1, max: Number.POSITIVE_INFINITY },
    async run({ values, positionals, config }) {
      const table = values.table as string | undefined;
      if (table !== undefined && !isTableName(table)) throw new CliError(`unknown table "${table}"; expected ${TABLES.join(', ')}`);
      const encoding = values.encoding as string | undefined;
      if (encoding !== undefined && !isEncoding(encoding)) throw new CliError(`unknown encoding "${encoding}"; expected ${ENCODINGS.join(', ')}`);
      // Each file's parse thread boots while the database opens and the task is claimed.
      const { warmParseThreads } = await import('../../shared/service/prepare-in-thread.ts');
      warmParseThreads(positionals.length);
      const [{ loadFiles, loadedFile }, { printLoadSummary }] = await Promise.all([import('./load.ts'), import('./output.ts')]);
      return withDatabase(openDatabase(config.databaseUrl, { timeouts: config.databaseTimeouts }), async (db) => {
        const results = await loadFiles(db, positionals, {
          batchSize: config.batchSize,
          commit: config.commit,
          leaseMs: config.leaseMs,
          retry: { attempts: config.retryAttempts },
          table: table as TableName | undefined,
          progress: !values.json,
          restart: Boolean(values.restart),
          encoding: (encoding as Encoding | undefined) ?? config.loadEncoding,
          maxRecordBytes: config.maxRecordBytes,
        });
        if (values.json) for (const r of results) process.stdout.write(JSON.stringify(loadedFile(r)) + '\n');
        else printLoadSummary(results);
        return 0;
      });
    },
  },
  rejects: {
    summary: 'the records a task rejected, with their line, id, reasons and raw text',
    usage: '<task-id> [--json | --format table|csv [--raw]]',
    options: { json: { type: 'boolean' }, format: { type: 'string' }, raw: { type: 'boolean' } },
    args: { min: 1, max: 1 },
    async run({ values, positionals, config }) {
      const id = Number(positionals[0]);
      if (!/^\d+$/.test(positionals[0]) || !Number.isSafeInteger(id) || id < 1) {
        throw new CliError(`task id must be a whole number of 1 or more, got "${positionals[0]}"`);
      }
      return withDatabase(readOnly(config), async (db) => {
        if (!(await db.tasks.get(id))) throw new CliError(`no task ${id}; hiredb tasks lists them`);
        const format = (values.format as string | undefined) ?? 'table';
        const [{ rejectsCsv }, { printRejects }] = await Promise.all([import('../../shared/service/reject-pages.ts'), import('./output.ts')]);
        if (format === 'csv') await writeStream(rejectsCsv(db, id, { raw: Boolean(values.raw) }));
        else if (format === 'table') await printRejects(db, id, Boolean(values.json));
        else throw new CliError(`unknown format "${format}"; expected table or csv (or --json)`);
        return 0;
      });
    },
  },
  report: {
    summary: "a hiring report: hired-by-quarter or hiring-above-average; CSV cells that start like a formula get a leading ' unless --raw",
    usage: '<hired-by-quarter|hiring-above-average> [--year Y] [--format table|json|csv] [--raw]',
    options: { year: { type: 'string' }, format: { type: 'string' }, raw: { type: 'boolean' } },
    args: { min: 1, max: 1 },
    async run({ values, positionals, config }) {
      const name = positionals[0];
      if (!isReportName(name)) throw new CliError(`unknown report "${name}"; expected ${REPORTS.join(' or ')}`);
      const format = (values.format as string | undefined) ?? 'table';
      if (!(FORMATS as readonly string[]).includes(format)) throw new CliError(`unknown format "${format}"; expected ${FORMATS.join(', ')}`);
      let year: number;
      try {
        year = parseReportYear(values.year as string | undefined);
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      return withDatabase(readOnly(config), async (db) => {
        const [{ runReport }, { printTable }] = await Promise.all([import('../../shared/service/run-report.ts'), import('./output.ts')]);
        const rows = await runReport(db.reports, name, year);
        if (format === 'json') process.stdout.write(JSON.stringify(rows) + '\n');
        else if (format === 'csv') process.stdout.write(reportToCsv(rows, REPORT_COLUMNS[name], { raw: Boolean(values.raw) }));
        else printTable(rows as never, REPORT_COLUMNS[name]);
        return 0;
      });
    },
  },
  tasks: {
    summary: 'the status table, newest first',
    usage: '[--json]',
    options: { json: { type: 'boolean' } },
    args: { min: 0, max: 0 },
    async run({ values, config }) {
      return withDatabase(readOnly(config), async (db) => {
        const [{ taskView }, { printTable }] = await Promise.all([import('../../shared/domain/task-view.ts'), import('./output.ts')]);
        const { tasks } = await db.tasks.list({ limit: 1000, offset: 0 });
        if (values.json) process.stdout.write(JSON.stringify(tasks.map((t) => taskView(t))) + '\n');
        else
          printTable(
            tasks.map((t) => {
              const view = taskView(t);
              return {
                ...view,
                ...t.summary,
                table: t.table_name ?? '',
                started: view.timings.started_at ?? '',
                duration: view.timings.duration_ms === null ? '' : `${(view.timings.duration_ms / 1000).toFixed(1)} s`,
                error: t.error ?? '',
              };
            }),
            ['id', 'file', 'table', 'status', 'processed', 'inserted', 'already_exists', 'rejected', 'started', 'duration', 'error'],
          );
        return 0;
      });
    },
  },
  keys: {
    summary: 'API keys: create one (printed alone on stdout, shown this once), list them, revoke one',
    usage: `create --role <${ROLES.join('|')}> --name <name> | list [--json] | revoke <name>`,
    options: { role: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } },
    args: { min: 1, max: 2 },
    async run({ values, positionals, config }) {
      const { runKeys } = await import('./keys.ts');
      return withDatabase(openDatabase(config.databaseUrl, { timeouts: config.databaseTimeouts }), (db) =>
        runKeys(db, { positionals, role: values.role as string | undefined, name: values.name as string | undefined, json: Boolean(values.json) }, consoleLogger()),
      );
    },
  },
  migrate: {
    summary: 'applies the schema migrations',
    usage: '',
    options: {},
    args: { min: 0, max: 0 },
    async run({ config }) {
      const db = await openDatabase(config.databaseUrl, { timeouts: config.databaseTimeouts });
      await db.close();
      process.stdout.write(`migrations applied (${db.dialect})\n`);
      return 0;
    },
  },
};

const CONFIG_HELP = `Configuration comes from the environment or a .env file: DATABASE_URL, BLOB_DIR, PORT, HOST,
LOAD_SCHEDULE, BATCH_SIZE, LOAD_CONCURRENCY, LOAD_LEASE_MS, LOAD_ENCODING, MAX_RECORD_BYTES, LEGACY_WAIT_MS, HIREDB_RETRY_ATTEMPTS,
AZURE_STORAGE_CONNECTION_STRING, AZURE_BLOB_CONTAINER, AZURE_SQL_CONNECTION_STRING, HIREDB_AUTH,
HIREDB_PUBLIC_REPORTS (see README).`;

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: hiredb <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nhiredb <command> --help shows a command's arguments and options; hiredb --version its version.\n\n${CONFIG_HELP}\n`;
}

function commandHelp(name: string, c: Command): string {
  const options = Object.entries(c.options).map(([o, spec]) => `  --${o}${spec.type === 'string' ? ' <value>' : ''}`);
  return `Usage: hiredb ${name}${c.usage ? ' ' + c.usage : ''}\n\n${c.summary[0].toUpperCase()}${c.summary.slice(1)}.\n${options.length ? `\nOptions:\n${options.join('\n')}\n  --help\n` : ''}\n${CONFIG_HELP}\n`;
}

function parseCommandArgs(name: string, c: Command, argv: string[]) {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ...c.options, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    const code = (e as { code?: string }).code;
    const option = /'([^']+)'/.exec((e as Error).message)?.[1];
    const what =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `unknown option ${option ?? ''}`.trim()
      : code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ? `option ${option?.split(' ')[0] ?? ''} needs a value`
      : (e as Error).message;
    throw new CliError(`${name}: ${what} (hiredb ${name} --help lists its options)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true as const };
  if (positionals.length < c.args.min) throw new CliError(`${name}: missing argument; usage: hiredb ${name} ${c.usage}`);
  if (positionals.length > c.args.max) {
    throw new CliError(`${name}: unexpected argument "${positionals[c.args.max]}"; usage: hiredb ${name}${c.usage ? ' ' + c.usage : ''}`);
  }
  return { help: false as const, values: values as Values, positionals };
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`hiredb ${VERSION}\n`);
    return 0;
  }
  if (name === undefined) {
    process.stderr.write(usage());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0];
    if (topic && COMMANDS[topic]) process.stdout.write(commandHelp(topic, COMMANDS[topic]));
    else if (topic) throw new CliError(`unknown command "${topic}"\n\n${usage()}`);
    else process.stdout.write(usage());
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) throw new CliError(`unknown command "${name}"\n\n${usage()}`);
  const args = parseCommandArgs(name, command, rest);
  if (args.help) {
    process.stdout.write(commandHelp(name, command));
    return 0;
  }
  const [{ loadDotEnv }, { loadConfig }] = await Promise.all([import('../../shared/config/dotenv.ts'), import('../../shared/config/config.ts')]);
  loadDotEnv();
  return command.run({ values: args.values, positionals: args.positionals, config: loadConfig() });
}

// `hiredb … | head`: the reader went away, which is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (e) => {
    const { ConfigError } = await import('../../shared/config/config.ts');
    const expected = e instanceof CliError || e instanceof ConfigError || e instanceof DatabaseMissingError;
    const detail = !expected && process.env.HIREDB_DEBUG ? (e as Error)?.stack : (e as Error)?.message;
    process.stderr.write(`hiredb: ${detail ?? String(e)}\n`);
    // A server or loader that failed to start may have timers or sockets still open: do not linger.
    process.exit(e instanceof CliError ? e.exitCode : 1);
  },
);
