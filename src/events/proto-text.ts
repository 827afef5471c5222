/**
 * Builds protobuf definitions from .proto source text instead of file paths. The texts are
 * embedded with `import … with { type: 'text' }`, so a `bun build --compile` binary needs no
 * .proto files on disk; `google/protobuf/*` imports come from protobufjs' bundled common types.
 */
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

export interface ProtoTextOptions {
  /** Keep field names as written (snake_case); otherwise protobufjs converts them to camelCase. */
  readonly keepCase: boolean;
}

/** Parses the texts into one resolved root. Imports other than the bundled google types are an error. */
export function rootFromProtoTexts(texts: readonly string[], options: ProtoTextOptions): protobuf.Root {
  const root = new protobuf.Root();
  const imports = new Set<string>();
  for (const text of texts) {
    const parsed = protobuf.parse(text, root, { keepCase: options.keepCase });
    for (const name of parsed.imports ?? []) imports.add(name);
    for (const name of parsed.weakImports ?? []) imports.add(name);
  }
  for (const name of imports) {
    const common = protobuf.common.get(name);
    if (!common?.nested) throw new Error(`proto import '${name}' is not a bundled google/protobuf type`);
    root.addJSON(common.nested);
  }
  root.resolveAll();
  return root;
}

/** A grpc-js package definition (services and messages) for the texts. */
export function packageDefinitionFromProtoTexts(
  texts: readonly string[],
  options: ProtoTextOptions & protoLoader.Options,
): protoLoader.PackageDefinition {
  return packageDefinitionOf(rootFromProtoTexts(texts, options), options);
}

/** A grpc-js package definition for an already parsed root (field names are as parsed). */
export function packageDefinitionOf(
  root: protobuf.Root,
  options: protoLoader.Options,
): protoLoader.PackageDefinition {
  return protoLoader.fromJSON(root.toJSON(), options);
}

/** The named service of a package definition; throws when the name is a message or missing. */
export function serviceOf(
  definition: protoLoader.PackageDefinition,
  name: string,
): protoLoader.ServiceDefinition {
  const found = definition[name];
  if (found === undefined || 'format' in found) throw new Error(`proto service '${name}' is not defined`);
  return found as protoLoader.ServiceDefinition;
}
