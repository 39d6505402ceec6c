// The entry of a front-end server's worker processes (`node:cluster` runs this file).
import { runWorker } from './worker.ts';

runWorker();
