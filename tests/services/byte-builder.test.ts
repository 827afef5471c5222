import { expect, test } from 'bun:test';
import { createByteBuilder, textOf, utf8 } from '../../src/services/byte-builder.ts';

test('a body far larger than its first guess is built whole, multi-byte text included', () => {
  // Pieces short and long (copied differently), multi-byte, and ASCII values written in place.
  const pieces = ['{"name":"', `Tutorial ✓ "first" 日本 🎮 ${'x'.repeat(100)}`, '","n":', '}'];
  const out = createByteBuilder(1);
  let expected = '';
  for (let i = 0; i < 2_000; i++) {
    const piece = pieces[i % pieces.length] as string;
    out.bytes(utf8(piece));
    const value = String(i * 1.5);
    out.ascii(value);
    expected += piece + value;
  }
  const body = out.finish();
  expect(body.byteLength).toBe(Buffer.byteLength(expected));
  expect(textOf(body)).toBe(expected);
});

test('a body within its guess is the bytes written, and nothing after them', () => {
  const out = createByteBuilder(4_096);
  out.bytes(utf8('é'));
  out.ascii('[1]');
  expect([...out.finish()]).toEqual([0xc3, 0xa9, 0x5b, 0x31, 0x5d]);
});
