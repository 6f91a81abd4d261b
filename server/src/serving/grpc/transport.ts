/**
 * gRPC transport: the one module that knows @grpc/grpc-js and @grpc/proto-loader. It serves the
 * Open Inference Protocol's service with handlers that take and return plain objects, and maps our
 * HTTP-style refusals to gRPC status codes.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoDescriptorJson } from '../../util/protobuf';
import { GRPC_PREDICT_V2_PROTO } from './proto';

/** A call's metadata as lower-case keys (the first value of each), like HTTP headers. */
export type CallMetadata = Record<string, string>;

export interface UnaryHandler {
  (request: Record<string, unknown>, metadata: CallMetadata, peer: string): Promise<{ reply: Record<string, unknown>; metadata?: Record<string, string> }>;
}

export type GrpcMethod = 'ServerLive' | 'ServerReady' | 'ModelReady' | 'ServerMetadata' | 'ModelMetadata' | 'ModelInfer';

/** A refusal with the HTTP status REST would answer; the transport turns it into a gRPC status. */
export interface Refusal {
  status: number;
  message: string;
}

const STATUS_OF_HTTP: Record<number, grpc.status> = {
  400: grpc.status.INVALID_ARGUMENT,
  401: grpc.status.UNAUTHENTICATED,
  404: grpc.status.NOT_FOUND,
  408: grpc.status.DEADLINE_EXCEEDED,
  413: grpc.status.RESOURCE_EXHAUSTED,
  503: grpc.status.UNAVAILABLE,
};

export function grpcCodeOf(httpStatus: number): grpc.status {
  return STATUS_OF_HTTP[httpStatus] ?? grpc.status.INTERNAL;
}

let service: grpc.ServiceDefinition | undefined;
function inferenceService(): grpc.ServiceDefinition {
  if (!service) {
    // int64 as strings: shapes are checked as integers, int64 contents keep every digit.
    const definition = protoLoader.fromJSON(protoDescriptorJson(GRPC_PREDICT_V2_PROTO), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: { service: grpc.ServiceDefinition } } };
    service = loaded.inference.GRPCInferenceService.service;
  }
  return service;
}

export interface GrpcServer {
  port: number;
  /** Stop taking calls; those in flight finish. */
  close(): Promise<void>;
}

export async function startGrpcServer(options: { host: string; port: number; maxMessageBytes: number; handlers: Record<GrpcMethod, UnaryHandler>; asRefusal: (error: unknown) => Refusal }): Promise<GrpcServer> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': options.maxMessageBytes, 'grpc.max_send_message_length': 64 << 20 });
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(options.handlers)) {
    implementation[name] = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const metadata: CallMetadata = {};
      for (const [key, value] of Object.entries(call.metadata.getMap())) metadata[key.toLowerCase()] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
      handler(call.request, metadata, call.getPeer()).then(
        ({ reply, metadata: extra }) => {
          if (extra) {
            const out = new grpc.Metadata();
            for (const [k, v] of Object.entries(extra)) out.set(k, v);
            call.sendMetadata(out);
          }
          callback(null, reply);
        },
        (error: unknown) => {
          const refusal = options.asRefusal(error);
          callback({ code: grpcCodeOf(refusal.status), details: refusal.message });
        },
      );
    };
  }
  server.addService(inferenceService(), implementation);
  const address = options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  return {
    port,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
