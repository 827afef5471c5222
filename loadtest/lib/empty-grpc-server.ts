/**
 * The ceiling for the event endpoint: a grpc-js server with both OnMessage services whose handlers
 * answer at once. Run as its own process; prints the bound port on stdout.
 */
import * as grpc from '@grpc/grpc-js';
import { loadEventProtos } from '../../src/events/proto.ts';

const protos = loadEventProtos();
const server = new grpc.Server();
const ok: grpc.handleUnaryCall<unknown, unknown> = (_call, callback) => callback(null, {});
server.addService(protos.loginService, { OnMessage: ok });
server.addService(protos.statService, { OnMessage: ok });
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  console.log(port);
});
process.on('SIGTERM', () => {
  server.forceShutdown();
  process.exit(0);
});
