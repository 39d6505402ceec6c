import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkJsonText } from '../../src/config/json-syntax.ts';

const check = (text: string, maxNesting = 32) => checkJsonText(text, { maxNesting });

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
      const found = check(text);
      assert.ok(found, 'expected an error');
      assert.equal(found.kind, 'syntax');
      assert.deepEqual([found.line, found.column], [line, column], found.problem);
      assert.match(found.problem, problem);
      assert.throws(() => JSON.parse(text));
    });
  }

  it('finds nothing wrong in valid JSON', () => {
    for (const text of ['{}', '[]', '{"a": [1, -2.5e3, true, false, null, "\\u00e9\\n"]}', ' 1 ']) {
      assert.equal(check(text), null, text);
      JSON.parse(text);
    }
  });
});

describe('bounds and duplicates in valid JSON', () => {
  it('names a field given twice in one object, with both lines, also when spelt with an escape', () => {
    const found = check(
      '{\n  "session": {\n    "provider": "memory",\n    "provid\\u0065r": "redis"\n  }\n}',
    );
    assert.ok(found);
    assert.equal(found.kind, 'duplicate');
    assert.equal(found.field, 'session.provider');
    assert.deepEqual([found.line, found.column], [4, 5]);
    assert.match(found.problem, /the field "provider" is given twice in session \(first at line 3\)/);
  });

  it('accepts the same name in different objects', () => {
    assert.equal(check('{"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]}'), null);
  });

  it('stops at the nesting bound without recursing further, on 100,000 levels', () => {
    for (const text of ['['.repeat(100_000), `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`]) {
      const found = check(text);
      assert.ok(found);
      assert.equal(found.kind, 'nesting');
      assert.equal(found.column, text[0] === '[' ? 33 : 5 * 32 + 1);
      assert.match(found.problem, /nested more than 32 levels deep/);
    }
    assert.equal(check(`${'['.repeat(32)}${']'.repeat(32)}`), null);
  });

  it('quotes an odd field name bounded and escaped, in the name and in its path', () => {
    const name = `x\n${'y'.repeat(500)}`;
    const found = check(JSON.stringify({ [name]: { a: 1 } }).replace('{"a":1}', '{"a":1,"a":2}'));
    assert.ok(found);
    assert.equal(found.kind, 'duplicate');
    assert.ok(!found.problem.includes('\n') && found.problem.length < 400, found.problem);
  });

  it('takes linear time on a 1 MiB file of numbers', () => {
    const text = `[${'1,'.repeat(500_000)}1]`;
    const started = performance.now();
    assert.equal(check(text), null);
    assert.ok(performance.now() - started < 2000, `${performance.now() - started} ms`);
  });
});
