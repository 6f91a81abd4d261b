// A grpc-js client of the Open Inference Protocol for load and fuzz tests (the independent client
// of the protocol tests is Python's, in grpc_client.py).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { GRPC_PREDICT_V2_PROTO } from '../../server/src/serving/grpc/proto';
import { protoDescriptorJson } from '../../server/src/util/protobuf';

type Msg = Record<string, unknown>;

export interface InferenceClient {
  call(method: string, request: Msg, metadata?: Record<string, string>): Promise<Msg>;
  /** Sends `bytes` as the request message, unparsed: what a broken client might send. */
  raw(method: string, bytes: Buffer): Promise<Buffer>;
  close(): void;
}

export function inferenceClient(address: string): InferenceClient {
  const definition = protoLoader.fromJSON(protoDescriptorJson(GRPC_PREDICT_V2_PROTO), { keepCase: true, longs: String, defaults: true });
  const Service = (grpc.loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: grpc.ServiceClientConstructor } }).inference.GRPCInferenceService;
  const client = new Service(address, grpc.credentials.createInsecure(), { 'grpc.enable_http_proxy': 0 });
  return {
    call: (method, request, metadata = {}) =>
      new Promise((resolve, reject) => {
        const md = new grpc.Metadata();
        for (const [k, v] of Object.entries(metadata)) md.set(k, v);
        (client[method] as (r: Msg, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, r: Msg) => void) => void).call(client, request, md, (error, reply) => (error ? reject(error) : resolve(reply)));
      }),
    raw: (method, bytes) =>
      new Promise((resolve, reject) =>
        client.makeUnaryRequest(`/inference.GRPCInferenceService/${method}`, (b: Buffer) => b, (b: Buffer) => b, bytes, (error, reply) => (error ? reject(error) : resolve(reply as Buffer))),
      ),
    close: () => client.close(),
  };
}
