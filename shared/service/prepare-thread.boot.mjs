// Worker threads do not inherit the main thread's TypeScript loader: register it, then load the body.
import { register } from 'tsx/esm/api';

register();
await import('./prepare-thread.ts');
