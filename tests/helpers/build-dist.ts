/**
 * Vitest global setup: builds dist/node/ from the sources before any test runs, so the processes the
 * end-to-end tests start (`bin/hiredb.mjs`) and the parse thread run exactly what is in the tree.
 */
// @ts-expect-error: a plain ES module without type declarations
import { buildDist, buildErrorText } from '../../bin/build.mjs';

export default async function setup(): Promise<void> {
  try {
    await buildDist({ clean: true });
  } catch (e) {
    throw new Error(`npm run build failed:\n${buildErrorText(e)}`);
  }
}
