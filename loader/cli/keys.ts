import { HireDbError } from '../../shared/domain/errors.ts';
import { ROLES } from '../../shared/domain/roles.ts';
import type { Database } from '../../shared/ports/database.port.ts';
import type { Logger } from '../../shared/platform/logger.ts';
import { apiKeyView, createApiKey, revokeApiKey } from '../../shared/service/api-keys.ts';
import { CliError } from './cli-error.ts';
import { printTable } from './output.ts';

export const KEYS_USAGE = `  keys create --role <${ROLES.join('|')}> --name <name>
                                   make an API key; prints the key alone on stdout (shown this once)
  keys list [--json]               the API keys: name, role, created, last used, revoked (never the keys)
  keys revoke <name>               refuse that key from now on (every process within seconds)`;

/** `hiredb keys create|list|revoke`. The key of `create` is the only thing written to stdout. */
export async function runKeys(
  db: Database,
  args: { positionals: string[]; role?: string; name?: string; json: boolean },
  log: Logger,
): Promise<number> {
  const out = process.stdout;
  const [action, ...rest] = args.positionals;
  try {
    switch (action) {
      case 'create': {
        if (args.name === undefined) throw new CliError('keys create needs --name <name>');
        if (args.role === undefined) throw new CliError(`keys create needs --role <${ROLES.join('|')}>`);
        if (rest.length > 0) throw new CliError(`keys create takes no other arguments, got "${rest.join(' ')}"`);
        const { key, record } = await createApiKey(db.keys, { name: args.name, role: args.role }, Date.now());
        log.info('API key created', { key: 'cli', key_name: record.name, role: record.role });
        out.write(key + '\n');
        return 0;
      }
      case 'list': {
        const keys = (await db.keys.list()).map(apiKeyView);
        if (args.json) out.write(JSON.stringify(keys) + '\n');
        else
          printTable(
            keys.map((k) => ({ ...k, last_used_at: k.last_used_at ?? 'never', revoked_at: k.revoked_at ?? '' })),
            ['name', 'role', 'created_at', 'last_used_at', 'revoked_at'],
          );
        return 0;
      }
      case 'revoke': {
        const name = rest[0] ?? args.name;
        if (name === undefined || rest.length > 1) throw new CliError('keys revoke needs the name of one key');
        const record = await revokeApiKey(db.keys, name, Date.now());
        log.info('API key revoked', { key: 'cli', key_name: record.name });
        out.write(`revoked ${record.name} at ${apiKeyView(record).revoked_at}\n`);
        return 0;
      }
      default:
        throw new CliError(`keys needs create, list or revoke\n\n${KEYS_USAGE}`);
    }
  } catch (e) {
    if (e instanceof HireDbError) throw new CliError(e.message);
    throw e;
  }
}
