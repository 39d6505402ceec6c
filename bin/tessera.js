#!/usr/bin/env node
// The `tessera` command. Runs the compiled CLI (built by `npm ci` through `prepare`).
import { main } from '../dist/cli/index.js';

process.exitCode = await main(process.argv);
