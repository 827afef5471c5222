/**
 * gRPC server reflection (v1 and v1alpha, as Go servers offer) so grpcurl and similar tools can
 * list and call the event services. @grpc/reflection's `addToServer` loads its own .proto files
 * from disk, which fails inside a compiled binary; we reuse its request handling and register the
 * service from embedded proto text instead.
 */
import type * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import v1Proto from '@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto' with { type: 'text' };
import v1alphaProto from '@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto' with {
  type: 'text',
};
import { ReflectionV1Implementation } from '@grpc/reflection/build/src/implementations/reflection-v1';
import { packageDefinitionFromProtoTexts, serviceOf } from './proto-text.ts';

const REFLECTION_SERVICES = [
  { name: 'grpc.reflection.v1.ServerReflection', text: v1Proto },
  { name: 'grpc.reflection.v1alpha.ServerReflection', text: v1alphaProto },
] as const;

/** @grpc/reflection's own loader options: its request handling reads camelCase fields. */
const REFLECTION_LOADER_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: String,
  bytes: Array,
  defaults: true,
  oneofs: true,
} as const;

type ReflectionRequest = Parameters<ReflectionV1Implementation['handleServerReflectionRequest']>[0];
type ReflectionResponse = ReturnType<ReflectionV1Implementation['handleServerReflectionRequest']>;

/**
 * Registers reflection describing `described` (the services the server offers) plus reflection
 * itself. The two versions have identical messages, so one implementation answers both.
 */
export function addReflection(
  server: Pick<grpc.Server, 'addService'>,
  described: readonly protoLoader.PackageDefinition[],
): void {
  const definitions = REFLECTION_SERVICES.map(({ name, text }) => {
    const packageDefinition = packageDefinitionFromProtoTexts([text], REFLECTION_LOADER_OPTIONS);
    return { service: serviceOf(packageDefinition, name), packageDefinition };
  });
  const everything: protoLoader.PackageDefinition = Object.assign(
    {},
    ...described,
    ...definitions.map((definition) => definition.packageDefinition),
  );
  const reflection = new ReflectionV1Implementation(everything);
  const handler: grpc.handleBidiStreamingCall<ReflectionRequest, ReflectionResponse> = (stream) => {
    stream.on('data', (request: ReflectionRequest) =>
      stream.write(reflection.handleServerReflectionRequest(request)),
    );
    stream.on('end', () => stream.end());
  };
  for (const { service } of definitions) server.addService(service, { ServerReflectionInfo: handler });
}
