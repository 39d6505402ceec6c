// The field table of docs/configuration-tool.md is derived from the settings tables
// (src/config/*-setting-table.ts): each setting's row is written as `docsRows` makes
// it, and the page has no row for a setting the tables lack.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { docsRows, SETTING_GROUPS } from '../../src/config/index.ts';

const page = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'configuration-tool.md'), 'utf8');
/** The rows of the page's field table, by field. */
const rows = new Map(
  [...page.matchAll(/^\| `([A-Za-z.]+)` \|.*$/gm)].map((match) => [match[1]!, match[0]] as const),
);

describe('docs/configuration-tool.md: the field table', () => {
  for (const group of SETTING_GROUPS) {
    it(`has the row of every ${group.section} setting, as its table describes it`, () => {
      for (const row of docsRows(group)) {
        const field = /^\| `([^`]+)`/.exec(row)![1]!;
        assert.equal(
          rows.get(field),
          row,
          `the row of ${field} differs from its table; write it as:\n${row}`,
        );
      }
    });

    it(`has no row for a ${group.section} setting its table lacks`, () => {
      const described = new Set(group.settings.map((spec) => `${group.section}.${spec.field}`));
      // Not settings an operator sets: the discriminant, and what the tools keep by themselves.
      const others = new Set([`${group.section}.provider`, 'session.redis.noEffectOptions']);
      const extra = [...rows.keys()].filter(
        (field) => field.startsWith(`${group.section}.`) && !described.has(field) && !others.has(field),
      );
      assert.deepEqual(extra, []);
    });
  }
});
