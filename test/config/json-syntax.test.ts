import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { locateJsonSyntaxError } from '../../src/config/json-syntax.ts';

describe('locating a JSON syntax error', () => {
  const cases: Array<[string, string, number, number, RegExp]> = [
    ['a trailing comma in an object', '{"a": 1,\n}', 2, 1, /comma before \}/],
    ['a trailing comma in an array', '[1, 2, ]', 1, 8, /comma before \]/],
    ['a missing comma', '{"a": 1\n "b": 2}', 2, 2, /is a comma missing/],
    ['single quotes', "{'a': 1}", 1, 2, /field name in double quotes/],
    ['a single-quoted value', '{"a": \'x\'}', 1, 7, /double quotes/],
    ['an unescaped backslash (a Windows path)', '{"p": "C:\\tmp\\x"}', 1, 14, /invalid escape/],
    ['a line break inside a string', '{"p": "a\nb"}', 1, 9, /control character/],
    ['a missing closing brace', '{"a": 1', 1, 8, /a \} is missing/],
    ['text after the value', '{} x', 1, 4, /after the end/],
    ['a comment', '{"a": 1 // note\n}', 1, 9, /a , or \} is expected/],
  ];
  for (const [what, text, line, column, problem] of cases) {
    it(`names the line and column of ${what}`, () => {
      const found = locateJsonSyntaxError(text);
      assert.ok(found, 'expected an error');
      assert.deepEqual([found.line, found.column], [line, column], found.problem);
      assert.match(found.problem, problem);
      assert.throws(() => JSON.parse(text));
    });
  }

  it('finds nothing wrong in valid JSON', () => {
    for (const text of ['{}', '[]', '{"a": [1, -2.5e3, true, false, null, "\\u00e9\\n"]}', ' 1 ']) {
      assert.equal(locateJsonSyntaxError(text), null, text);
      JSON.parse(text);
    }
  });
});
