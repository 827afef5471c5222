import { expect, test } from 'bun:test';
import { findJsonSyntaxError } from '../../src/config/json-syntax.ts';

test.each(['{}', '[]', ' { "a": [1, -2.5e+3, true, false, null, "x\\n\\u00e9"] } ', '"just a string"', '0'])(
  'valid JSON %j has no syntax error',
  (text) => {
    expect(findJsonSyntaxError(text)).toBeUndefined();
    expect(() => JSON.parse(text)).not.toThrow();
  },
);

test.each([
  ['{"a": 1,}', 1, 9],
  ['{"a" 1}', 1, 6],
  ["{'a': 1}", 1, 2],
  ['[1 2]', 1, 4],
  ['{"a": 01}', 1, 8],
  ['{"a": "\\x"}', 1, 8],
  ['{"a": "tab\there"}', 1, 11],
  ['{\n"a": tru\n}', 2, 6],
  ['{"a": 1}}', 1, 9],
  ['[', 1, 2],
])('%j stops being JSON at line %d, column %d', (text, line, column) => {
  expect(() => JSON.parse(text)).toThrow();
  expect(findJsonSyntaxError(text)).toEqual({ line, column });
});
