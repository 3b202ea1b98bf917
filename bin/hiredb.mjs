#!/usr/bin/env node
// Runs the TypeScript sources directly, so `npx hiredb` works right after `npm install`.
import { register } from 'tsx/esm/api';

register();
await import('../loader/cli.ts');
