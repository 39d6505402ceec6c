// `tessera …` from the sources, for the tests that start real processes.
import { main } from '../../src/cli/index.ts';

process.exitCode = await main(['node', 'tessera', ...process.argv.slice(2)]);
