/**
 * Builds a response body as UTF-8 bytes in one buffer: fixed pieces encoded once are copied in,
 * and short ASCII values (numbers, instants) are written in place. A list answer built this way is copied once, where a joined
 * string is copied by the join and again when the server encodes it for the socket.
 */

const encoder = new TextEncoder();
const SMALL_PIECE = 32;

/** `text` as UTF-8, for a piece written into many bodies. */
export const utf8 = (text: string): Uint8Array<ArrayBuffer> => encoder.encode(text);

const decoder = new TextDecoder();

/** The text of a built body, for the few callers that need a string. */
export const textOf = (bytes: Uint8Array): string => decoder.decode(bytes);

export interface ByteBuilder {
  bytes(piece: Uint8Array): void;
  /** A short text known to be ASCII (a number, an instant): written a byte per character. */
  ascii(piece: string): void;
  /** The bytes written so far (a view of the builder's buffer: build nothing more after it). */
  finish(): Uint8Array<ArrayBuffer>;
}

/** `capacity` is a guess: the buffer grows when a piece does not fit. */
export function createByteBuilder(capacity: number): ByteBuilder {
  return new Builder(capacity);
}

class Builder implements ByteBuilder {
  private buffer: Uint8Array<ArrayBuffer>;
  private length = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(64, capacity));
  }

  /** The buffer, with room for `size` more bytes. */
  private room(size: number): Uint8Array<ArrayBuffer> {
    const { buffer, length } = this;
    if (length + size <= buffer.byteLength) return buffer;
    const next = Buffer.allocUnsafe(Math.max(length + size, buffer.byteLength * 2));
    next.set(buffer.subarray(0, length));
    this.buffer = next;
    return next;
  }

  bytes(piece: Uint8Array): void {
    const size = piece.byteLength;
    const buffer = this.room(size);
    let at = this.length;
    // TypedArray.set costs more per call than copying a few bytes one by one.
    if (size <= SMALL_PIECE) for (let i = 0; i < size; i++) buffer[at++] = piece[i] as number;
    else {
      buffer.set(piece, at);
      at += size;
    }
    this.length = at;
  }

  ascii(piece: string): void {
    const buffer = this.room(piece.length);
    let at = this.length;
    for (let i = 0; i < piece.length; i++) buffer[at++] = piece.charCodeAt(i);
    this.length = at;
  }

  finish(): Uint8Array<ArrayBuffer> {
    return this.buffer.subarray(0, this.length);
  }
}
