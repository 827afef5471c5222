/** Promise wrappers over grpc-js' generic client calls, typed by proto-loader method definitions. */
import type * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';

type Method = protoLoader.MethodDefinition<object, object>;

export function methodOf(service: protoLoader.ServiceDefinition, name: string): Method {
  const method = service[name];
  if (!method) throw new Error(`no method ${name}`);
  return method;
}

export function serviceIn(
  definition: protoLoader.PackageDefinition,
  name: string,
): protoLoader.ServiceDefinition {
  const found = definition[name];
  if (found === undefined || 'format' in found) throw new Error(`no service ${name}`);
  return found as protoLoader.ServiceDefinition;
}

export interface CallResult {
  error: grpc.ServiceError | null;
  response: object | undefined;
}

export function unary(client: grpc.Client, method: Method, request: object): Promise<CallResult> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      { deadline: Date.now() + 10_000 },
      (error, response) => resolve({ error, response }),
    );
  });
}

/** Opens a server stream; `messages` fills as they arrive, `ended` settles when the stream closes. */
export function serverStream(client: grpc.Client, method: Method, request: object) {
  const messages: object[] = [];
  const call = client.makeServerStreamRequest(
    method.path,
    method.requestSerialize,
    method.responseDeserialize,
    request,
  );
  const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.on('data', (message: object) => messages.push(message));
  call.on('error', () => {});
  return { call, messages, ended };
}

/** Sends the requests on a bidi stream, half-closes, and collects every response. */
export function bidiAll(client: grpc.Client, method: Method, requests: readonly object[]): Promise<object[]> {
  return new Promise((resolve, reject) => {
    const responses: object[] = [];
    const call = client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
    );
    call.on('data', (message: object) => responses.push(message));
    call.on('error', reject);
    call.on('end', () => resolve(responses));
    for (const request of requests) call.write(request);
    call.end();
  });
}

export async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await Bun.sleep(5);
  }
}
