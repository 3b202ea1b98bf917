import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { VERSION } from '../../shared/version.ts';

it('the version shown by GET / and the CLI is package.json\'s', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  expect(VERSION).toBe(pkg.version);
});
