// The Database contract for asking which file versions already have a whole-file task (what a Blob poll
// asks once per listing instead of enqueueing every listed file).
import { describe, it } from 'vitest';
import type { Database } from '../../shared/ports/database.port.ts';
import { TEST_DATABASES, useFreshDatabase } from '../helpers/databases.ts';
import { expectQueuedVersionsAnswered, expectQueuedVersionsOfALongList } from '../helpers/db-fixtures.ts';

describe.each(TEST_DATABASES)('Database contract: %s', (kind) => {
  let db: Database;
  useFreshDatabase(kind, (opened) => {
    db = opened.db;
  });

  it('queuedVersions names the versions that have a whole-file task, whatever its state, and no other', () => expectQueuedVersionsAnswered(db));

  it('queuedVersions answers a list longer than any statement’s parameter limit', () => expectQueuedVersionsOfALongList(db));
});
