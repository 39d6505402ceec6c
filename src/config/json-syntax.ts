/**
 * Locates the first syntax error of a JSON text, for messages that name the line
 * and column of a hand-broken configuration file.
 *
 * `JSON.parse` reports a position only for some errors, and its message quotes
 * the text around the error, which may be a secret: it is never shown. This
 * scanner follows RFC 8259 and describes the problem in its own words, naming
 * the expected token, never the content found.
 */
export interface JsonSyntaxProblem {
  readonly line: number;
  readonly column: number;
  readonly problem: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {
    super(problem);
  }
}

/** Returns the first syntax error of `text`, or `null` when it is valid JSON. */
export function locateJsonSyntaxError(text: string): JsonSyntaxProblem | null {
  let at = 0;
  const fail = (problem: string, offset = at): never => {
    throw new Stop(offset, problem);
  };
  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at += 1;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, at)) at += word.length;
    else
      fail(
        'a value is expected (a string in double quotes, a number, true, false, null, an object or an array)',
      );
  };
  const string = () => {
    at += 1;
    for (;;) {
      if (at >= text.length) fail('the text ends inside a string (a closing " is missing)');
      const c = text[at]!;
      if (c === '"') {
        at += 1;
        return;
      }
      if (c === '\\') {
        const e = text[at + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6)))
            fail('\\u must be followed by 4 hex digits');
          at += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          at += 2;
        } else {
          fail('invalid escape in a string (write \\\\ for a backslash, e.g. in a Windows path)');
        }
      } else if (c < ' ') {
        fail('a control character (e.g. a line break) inside a string; strings end on the same line');
      } else {
        at += 1;
      }
    }
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at));
    if (match === null)
      fail(
        'a value is expected (a string in double quotes, a number, true, false, null, an object or an array)',
      );
    at += match![0].length;
  };
  const value = (): void => {
    space();
    const c = text[at];
    if (c === undefined) fail('the text ends where a value is expected');
    else if (c === '{') object();
    else if (c === '[') array();
    else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c >= '0' && c <= '9')) number();
    else if (c === "'") fail('strings must be in double quotes (")');
    else
      fail(
        'a value is expected (a string in double quotes, a number, true, false, null, an object or an array)',
      );
  };
  const object = () => {
    at += 1;
    space();
    if (text[at] === '}') {
      at += 1;
      return;
    }
    for (;;) {
      space();
      if (text[at] === '}') fail('a comma before } is not allowed in JSON (remove the trailing comma)', at);
      if (text[at] !== '"')
        fail(
          at >= text.length
            ? 'the text ends inside an object (a } is missing)'
            : 'a field name in double quotes is expected',
        );
      string();
      space();
      if (text[at] !== ':') fail('a : is expected after the field name');
      at += 1;
      value();
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
  const array = () => {
    at += 1;
    space();
    if (text[at] === ']') {
      at += 1;
      return;
    }
    for (;;) {
      space();
      if (text[at] === ']') fail('a comma before ] is not allowed in JSON (remove the trailing comma)', at);
      value();
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
    value();
    space();
    if (at < text.length) fail('unexpected text after the end of the JSON value');
    return null;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    return { ...lineAndColumn(text, error.offset), problem: error.problem };
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i += 1) {
    if (text[i] === '\n') {
      line += 1;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}
