// A version of `counter` whose factory works at publish but fails on a front-end: it needs a file no front-end has.
import { readFileSync } from 'node:fs';

export default function createModule() {
  if (process.env.TESSERA_FRONTEND_WORKER === '1')
    readFileSync('/nonexistent/tessera-test-broken-module.json');
  return (_req, res) => res.end('never');
}
