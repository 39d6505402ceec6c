/**
 * Checks the text of a configuration file before `JSON.parse` sees it: the first
 * syntax error, a field given twice in one object, or values nested deeper than
 * a configuration file ever is, each with its line and column.
 *
 * `JSON.parse` reports a position only for some errors, its message quotes the
 * text around the error (which may be a secret), it keeps the last of two equal
 * field names without a word, and a recursive walk of its result can overflow the
 * stack. This scanner follows RFC 8259, describes a problem in its own words
 * (naming the expected token, never the content found, except a field name given
 * twice), recurses no deeper than `maxNesting`, and takes linear time.
 */
import { quoteInput } from '../errors.ts';

export interface JsonTextProblem {
  /** `syntax`: not JSON; `nesting`: deeper than allowed; `duplicate`: a field name given twice in one object. */
  readonly kind: 'syntax' | 'nesting' | 'duplicate';
  readonly line: number;
  readonly column: number;
  readonly problem: string;
  /** For `nesting` and `duplicate`: the dotted path of the value concerned (`session.redis.hosts`). */
  readonly field?: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    readonly problem: string,
    readonly kind: JsonTextProblem['kind'] = 'syntax',
    readonly field?: string,
  ) {
    super(problem);
  }
}

const VALUE_EXPECTED =
  'a value is expected (a string in double quotes, a number, true, false, null, an object or an array)';
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;

/** Returns the first problem of `text`, or `null` when it is valid JSON within the bounds. */
export function checkJsonText(
  text: string,
  options: { readonly maxNesting: number },
): JsonTextProblem | null {
  let at = 0;
  const fail = (problem: string, offset = at): never => {
    throw new Stop(offset, problem);
  };
  const space = () => {
    for (;;) {
      const c = text.charCodeAt(at);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      at += 1;
    }
  };
  const literal = (word: string) => {
    if (text.startsWith(word, at)) at += word.length;
    else fail(VALUE_EXPECTED);
  };
  const string = () => {
    at += 1;
    for (;;) {
      if (at >= text.length) fail('the text ends inside a string (a closing " is missing)');
      const c = text.charCodeAt(at);
      if (c === 0x22) {
        at += 1;
        return;
      }
      if (c === 0x5c) {
        const e = text[at + 1];
        if (e === 'u') {
          HEX4.lastIndex = at + 2;
          if (!HEX4.test(text)) fail('\\u must be followed by 4 hex digits');
          at += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          at += 2;
        } else {
          fail('invalid escape in a string (write \\\\ for a backslash, e.g. in a Windows path)');
        }
      } else if (c < 0x20) {
        fail('a control character (e.g. a line break) inside a string; strings end on the same line');
      } else {
        at += 1;
      }
    }
  };
  const number = () => {
    NUMBER.lastIndex = at;
    const match = NUMBER.exec(text);
    if (match === null) fail(VALUE_EXPECTED);
    at += match![0].length;
  };
  const value = (path: string, depth: number): void => {
    space();
    const c = text[at];
    if (c === undefined) fail('the text ends where a value is expected');
    else if (c === '{' || c === '[') {
      if (depth >= options.maxNesting) {
        throw new Stop(
          at,
          `objects and lists are nested more than ${options.maxNesting} levels deep`,
          'nesting',
          shortPath(path || '(top level)'),
        );
      }
      if (c === '{') object(path, depth + 1);
      else array(path, depth + 1);
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c >= '0' && c <= '9')) number();
    else if (c === "'") fail('strings must be in double quotes (")');
    else fail(VALUE_EXPECTED);
  };
  const object = (path: string, depth: number) => {
    at += 1;
    space();
    if (text[at] === '}') {
      at += 1;
      return;
    }
    const seen = new Map<string, number>();
    for (;;) {
      space();
      if (text[at] === '}') fail('a comma before } is not allowed in JSON (remove the trailing comma)', at);
      if (text[at] !== '"')
        fail(
          at >= text.length
            ? 'the text ends inside an object (a } is missing)'
            : 'a field name in double quotes is expected',
        );
      const start = at;
      string();
      // The name as JSON.parse reads it, so that "a" and "\u0061" are the same field.
      const name = JSON.parse(text.slice(start, at)) as string;
      const earlier = seen.get(name);
      const field = memberPath(path, name);
      if (earlier !== undefined) {
        throw new Stop(
          start,
          `the field ${quoteInput(name)} is given twice in ${path === '' ? 'the top-level object' : shortPath(path)} ` +
            `(first at line ${lineAndColumn(text, earlier).line})`,
          'duplicate',
          shortPath(field),
        );
      }
      seen.set(name, start);
      space();
      if (text[at] !== ':') fail('a : is expected after the field name');
      at += 1;
      value(field, depth);
      space();
      if (text[at] === ',') {
        at += 1;
        continue;
      }
      if (text[at] === '}') {
        at += 1;
        return;
      }
      fail(
        at >= text.length
          ? 'the text ends inside an object (a } is missing)'
          : 'a , or } is expected (is a comma missing?)',
      );
    }
  };
  const array = (path: string, depth: number) => {
    at += 1;
    space();
    if (text[at] === ']') {
      at += 1;
      return;
    }
    for (let index = 0; ; index += 1) {
      space();
      if (text[at] === ']') fail('a comma before ] is not allowed in JSON (remove the trailing comma)', at);
      value(`${path}[${index}]`, depth);
      space();
      if (text[at] === ',') {
        at += 1;
        continue;
      }
      if (text[at] === ']') {
        at += 1;
        return;
      }
      fail(
        at >= text.length
          ? 'the text ends inside an array (a ] is missing)'
          : 'a , or ] is expected (is a comma missing?)',
      );
    }
  };
  try {
    value('', 0);
    space();
    if (at < text.length) fail('unexpected text after the end of the JSON value');
    return null;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    return {
      kind: error.kind,
      ...lineAndColumn(text, error.offset),
      problem: error.problem,
      ...(error.field !== undefined ? { field: error.field } : {}),
    };
  }
}

const PLAIN_NAME = /^[A-Za-z_$][\w$]*$/;

/** `session.redis`, with a name that is not a plain word quoted (`a["two words"]`): input never forges a message. */
export function memberPath(path: string, name: string): string {
  if (PLAIN_NAME.test(name) && name.length <= 60) return path === '' ? name : `${path}.${name}`;
  return `${path}[${quoteInput(name)}]`;
}

/** A path as a message shows it: its last 120 characters at most. */
function shortPath(path: string): string {
  const characters = Array.from(path);
  return characters.length <= 120 ? path : `…${characters.slice(-119).join('')}`;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    start = i + 1;
  }
  return { line, column: Math.min(offset, text.length) - start + 1 };
}
