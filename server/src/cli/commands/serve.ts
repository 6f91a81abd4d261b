import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MANIFEST_FILE_NAMES } from '../../manifest/parse';
import { ServingConfigError, startModelServer, type EndpointSummary, type ServerEvent } from '../../serving/server';
import { EXIT_FINDINGS, EXIT_OK, UsageError, type Out } from '../usage';

export const SERVE_HELP = `Usage: mlops serve [folder] [--port N] [--grpc-port N] [--host H] [--token T] [--json]

Serves the ONNX models of folder/mlops.yaml (default: the current folder) over HTTP until
interrupted (Ctrl+C): Open Inference Protocol (KServe V2), KServe V1 and MLflow /invocations,
and, when asked, the Open Inference Protocol over gRPC (GRPCInferenceService), with the traffic split, sticky routing, mirroring and batching of its serving section. Reloads
when mlops.yaml or a model file changes. Every prediction is logged to folder/.mlops/index.db.

Options:
  --port N             port (default: serving.port, else 8080; 0 picks a free one)
  --grpc-port N        also serve gRPC on this port (default: serving.grpc.port; off when
                       neither says; 0 picks a free one)
  --host H             bind address (default: serving.host, else 127.0.0.1); any address but
                       loopback requires a token
  --token T            require "Authorization: Bearer T" on every request (or set MLOPS_SERVE_TOKEN)
  --max-body-mb N      refuse larger request bodies with 413 (default 8)
  --inputs-sample R    log the inputs of this fraction of requests, 0 to 1 (default 1)
  --json               print {"url", "grpc", "endpoints"} and then events as JSON lines

Exit codes: 0 stopped by a signal, 1 the configuration or the port is unusable, 2 bad usage.
`;

/** `mlops serve`: runs until SIGINT or SIGTERM, then stops cleanly and resolves to the exit code. */
export async function serveCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      'grpc-port': { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      'max-body-mb': { type: 'string' },
      'inputs-sample': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.stdout(SERVE_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 1) throw new UsageError('serve takes at most one folder');
  const folder = resolve(positionals[0] ?? '.');
  if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${positionals[0]} is not a folder`);
  const manifestPath = MANIFEST_FILE_NAMES.map((n) => join(folder, n)).find((p) => existsSync(p));
  if (!manifestPath) throw new UsageError(`no mlops.yaml in ${folder}: declare models and serving endpoints there first`);
  const json = values.json === true;
  const report = (event: ServerEvent) => out.stderr(json ? `${JSON.stringify(event)}\n` : `mlops serve: ${describeEvent(event)}\n`);

  let server;
  try {
    server = await startModelServer({
      workspaceRoot: folder,
      manifestPath,
      port: optionalNumber(values.port, '--port', (n) => Number.isInteger(n) && n >= 0 && n <= 65535),
      grpcPort: optionalNumber(values['grpc-port'], '--grpc-port', (n) => Number.isInteger(n) && n >= 0 && n <= 65535),
      host: values.host,
      token: values.token ?? (process.env.MLOPS_SERVE_TOKEN || undefined),
      maxBodyBytes: mib(optionalNumber(values['max-body-mb'], '--max-body-mb', (n) => n > 0)),
      logInputs: { sample: optionalNumber(values['inputs-sample'], '--inputs-sample', (n) => n >= 0 && n <= 1) },
      onEvent: report,
    });
  } catch (error) {
    const problems = error instanceof ServingConfigError ? error.problems : [(error as Error).message];
    for (const p of problems) out.stderr(`mlops serve: ${p}\n`);
    return EXIT_FINDINGS;
  }
  out.stdout(json ? `${JSON.stringify({ url: server.url, ...(server.grpcAddress ? { grpc: server.grpcAddress } : {}), endpoints: server.endpoints() })}\n` : describeServer(server.url, server.grpcAddress, server.endpoints()));
  await new Promise<void>((stop) => {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return EXIT_OK;
}

function optionalNumber(text: string | undefined, flag: string, ok: (n: number) => boolean): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !ok(n)) throw new UsageError(`${flag} got "${text}", which is out of range`);
  return n;
}

const mib = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 1024 * 1024));

function describeEvent(event: ServerEvent): string {
  if (event.type === 'note') return event.message;
  if (event.type === 'reload-failed') return `reload refused:\n  ${event.problems.join('\n  ')}`;
  return event.notes.length === 0 ? 'reloaded' : `reloaded:\n  ${event.notes.join('\n  ')}`;
}

function describeServer(url: string, grpc: string | undefined, endpoints: EndpointSummary[]): string {
  const lines = [`Serving on ${url}${grpc ? ` and gRPC ${grpc}` : ''}  (Ctrl+C stops)`, ''];
  for (const e of endpoints) {
    const split = Object.entries(e.traffic).map(([v, p]) => `${v}: ${p}%`).join(', ');
    const extras = [e.sticky && `sticky ${e.sticky}`, e.mirror && `mirror ${e.mirror.version} ${e.mirror.percent}%`].filter(Boolean).join(', ');
    lines.push(`  ${e.name}  model ${e.model}  traffic ${split}${extras ? `  ${extras}` : ''}`);
    for (const v of e.versions) if (!v.loaded) lines.push(`    version ${v.id} NOT LOADED: ${v.error}`);
    lines.push(`    POST ${url}/v2/models/${encodeURIComponent(e.name)}/infer`, `    POST ${url}/v1/models/${encodeURIComponent(e.name)}:predict`);
  }
  if (endpoints.length > 0) lines.push(`  MLflow: POST ${url}/invocations (${endpoints[0].name})`);
  if (grpc) lines.push(`  gRPC: inference.GRPCInferenceService at ${grpc} (ModelInfer, ModelMetadata, ModelReady, ServerLive, ServerReady, ServerMetadata)`);
  lines.push(`  Metrics: ${url}/metrics`, '');
  return lines.join('\n');
}
