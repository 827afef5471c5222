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

/**
 * A fixed piece of JSON, as text and as UTF-8, so that one description of an object can be written
 * into a body's bytes or into a string (a live stream's event, which is sent as text).
 */
export interface Piece {
  readonly text: string;
  readonly bytes: Uint8Array<ArrayBuffer>;
}

export const piece = (text: string): Piece => {
  const bytes = utf8(text);
  // Decoded back, the text is one flat string: concatenations build ropes, which every use walks.
  return { text: textOf(bytes), bytes };
};

/** Where an object is written: pieces, and short ASCII texts (a number, an instant). */
export interface JsonWriter {
  piece(piece: Piece): void;
  ascii(text: string): void;
}

export interface ByteBuilder extends JsonWriter {
  bytes(piece: Uint8Array): void;
  /** Bytes written so far. */
  readonly length: number;
  /** The bytes written so far (a view of the builder's buffer: build nothing more after it). */
  finish(): Uint8Array<ArrayBuffer>;
}

export interface TextBuilder extends JsonWriter {
  finish(): string;
}

/** For a short text: concatenating its pieces costs less than a buffer and decoding it. */
export function createTextBuilder(): TextBuilder {
  let text = '';
  return {
    piece: (piece) => {
      text += piece.text;
    },
    ascii: (value) => {
      text += value;
    },
    finish: () => text,
  };
}

/** `capacity` is a guess: the buffer grows when a piece does not fit. */
export function createByteBuilder(capacity: number): ByteBuilder {
  return new Builder(capacity);
}

class Builder implements ByteBuilder {
  private buffer: Uint8Array<ArrayBuffer>;
  length = 0;

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

  piece(piece: Piece): void {
    this.bytes(piece.bytes);
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

  ascii(text: string): void {
    const buffer = this.room(text.length);
    let at = this.length;
    for (let i = 0; i < text.length; i++) buffer[at++] = text.charCodeAt(i);
    this.length = at;
  }

  finish(): Uint8Array<ArrayBuffer> {
    return this.buffer.subarray(0, this.length);
  }
}
