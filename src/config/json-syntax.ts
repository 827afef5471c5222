/**
 * Locates a JSON syntax error. `JSON.parse` in Bun reports what went wrong but not where, and a
 * config author needs the line; this scanner only runs after `JSON.parse` has already failed.
 */

export interface TextPosition {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units. */
  readonly column: number;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

class SyntaxStop {
  constructor(readonly offset: number) {}
}

/** Where `text` first stops being valid JSON (RFC 8259), or undefined when it is valid. */
export function findJsonSyntaxError(text: string): TextPosition | undefined {
  let i = 0;
  const stop = (): never => {
    throw new SyntaxStop(i);
  };
  const skipWhitespace = () => {
    while (i < text.length && WHITESPACE.has(text.charAt(i))) i++;
  };
  const expect = (char: string) => {
    skipWhitespace();
    if (text.charAt(i) !== char) stop();
    i++;
  };
  const string = () => {
    expect('"');
    while (i < text.length) {
      const char = text.charAt(i);
      if (char === '"') {
        i++;
        return;
      }
      if (char < ' ') stop();
      if (char === '\\') {
        const escaped = text.charAt(i + 1);
        if (ESCAPES.has(escaped)) i += 2;
        else if (escaped === 'u' && HEX4.test(text.slice(i + 2, i + 6))) i += 6;
        else stop();
      } else {
        i++;
      }
    }
    stop();
  };
  const sequence = (close: string, item: () => void) => {
    i++;
    skipWhitespace();
    if (text.charAt(i) === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      skipWhitespace();
      if (text.charAt(i) === close) {
        i++;
        return;
      }
      expect(',');
    }
  };
  const scalar = () => {
    const literal = ['true', 'false', 'null'].find((word) => text.startsWith(word, i));
    if (literal !== undefined) {
      i += literal.length;
      return;
    }
    NUMBER.lastIndex = i;
    if (!NUMBER.test(text)) stop();
    i = NUMBER.lastIndex;
  };
  const value = (): void => {
    skipWhitespace();
    const char = text.charAt(i);
    if (char === '{') sequence('}', member);
    else if (char === '[') sequence(']', value);
    else if (char === '"') string();
    else scalar();
  };
  const member = () => {
    string();
    expect(':');
    value();
  };

  try {
    value();
    skipWhitespace();
    if (i < text.length) stop();
    return undefined;
  } catch (error) {
    if (!(error instanceof SyntaxStop)) throw error;
    return positionOf(text, error.offset);
  }
}

function positionOf(text: string, offset: number): TextPosition {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}
