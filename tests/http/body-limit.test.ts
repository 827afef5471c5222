/**
 * The body limit over a real port, where Bun's own limit also applies: every body over 64 KiB gets
 * our JSON 413 with a request id, at any size, declared or chunked, and is refused without being read.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { connect } from 'node:net';
import { MAX_BODY_BYTES } from '../../src/http/request-body.ts';
import { createTestApp } from '../helpers/test-app.ts';

const app = await createTestApp();
const server = app.listen();
afterAll(async () => {
  await server.stop();
  await app.close();
});

const KIB = 1024;
const PLAY_ACTIVE = '/v1/challenges/starter-challenge/goals/play-5-matches/active';
const headers = { 'content-type': 'application/json', 'x-mock-user-id': 'body-limit-user' };

const TOO_LARGE = {
  error: 'PAYLOAD_TOO_LARGE',
  code: 8,
  message: `Request body is larger than ${MAX_BODY_BYTES} bytes`,
  details: [],
};

async function expectTooLarge(response: Response): Promise<void> {
  expect(response.status).toBe(413);
  expect(response.headers.get('content-type')).toStartWith('application/json');
  expect(response.headers.get('x-request-id')).toBeTruthy();
  expect(await response.json()).toEqual(TOO_LARGE);
}

/** `{"isActive":true,"pad":"   …"}` of `bytes` bytes. */
const jsonOfSize = (bytes: number) => `{"isActive":true,"pad":"${' '.repeat(bytes - 26)}"}`;

describe('over a real port', () => {
  test('the padded bodies have the intended size', () => {
    expect(jsonOfSize(100 * KIB).length).toBe(100 * KIB);
  });

  test.each([
    ['100 KiB', 100 * KIB],
    ['300 KiB', 300 * KIB],
    ['5 MiB', 5 * KIB * KIB],
  ])('a declared body of %s is 413 PAYLOAD_TOO_LARGE as JSON', async (_, bytes) => {
    const body = jsonOfSize(bytes);
    const response = await fetch(`${server.baseUrl}${PLAY_ACTIVE}`, { method: 'PUT', headers, body });
    await expectTooLarge(response);
  });

  test('a chunked body of 5 MiB is 413 PAYLOAD_TOO_LARGE as JSON', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(64 * KIB));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"isActive":true,"pad":"'));
      },
      pull(controller) {
        if (sent >= 5 * KIB * KIB) {
          controller.enqueue(new TextEncoder().encode('"}'));
          controller.close();
          return;
        }
        controller.enqueue(chunk);
        sent += chunk.byteLength;
      },
    });
    const response = await fetch(`${server.baseUrl}${PLAY_ACTIVE}`, {
      method: 'PUT',
      headers,
      body,
      duplex: 'half',
    } as RequestInit);
    await expectTooLarge(response);
  });

  test('a declared body over the limit is answered before any of it is sent', async () => {
    const raw = await rawExchange(
      `PUT ${PLAY_ACTIVE} HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\n` +
        `x-mock-user-id: body-limit-user\r\ncontent-length: ${1024 * KIB * KIB}\r\n\r\n`,
    );
    const [head = '', body = ''] = raw.split('\r\n\r\n');
    expect(head).toStartWith('HTTP/1.1 413');
    expect(head.toLowerCase()).toContain('x-request-id:');
    expect(JSON.parse(body)).toEqual(TOO_LARGE);
  });

  test('a body at the limit is still accepted', async () => {
    const response = await fetch(`${server.baseUrl}${PLAY_ACTIVE}`, {
      method: 'PUT',
      headers,
      body: jsonOfSize(MAX_BODY_BYTES),
    });
    expect(response.status).toBe(200);
  });
});

/** Sends `request` (headers only) and collects the answer until one full JSON body has arrived. */
function rawExchange(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no full answer within 2 s; got ${JSON.stringify(received)}`));
    }, 2_000);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (data) => {
      received += data.toString();
      const length = /content-length: (\d+)/i.exec(received)?.[1];
      const bodyStart = received.indexOf('\r\n\r\n');
      if (length !== undefined && bodyStart >= 0 && received.length - bodyStart - 4 >= Number(length)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
