/**
 * Serving benchmark, all on 127.0.0.1, with autocannon (one warm-up second, then a fixed duration):
 *  (a) the floor: a bare node:http server in a child process answering the same JSON bytes that
 *      our V2 infer answers, after reading the request body;
 *  (b) raw onnxruntime-node session.run of examples/churn's churn-v2.onnx (features FP32 [1, 26]),
 *      one row per call, one caller, in a child process: no HTTP at all;
 *  (c) our V2 infer (startModelServer in a child process, on a temp copy of examples/churn, the
 *      prediction log on), one row per request, pinned to version 2 so it runs the same model;
 *      as the example configures it (batching, max_batch_size 32, max_delay_ms 2) and on a copy
 *      without `batching:`, at 50 and at 200 connections (and at 1, for the latency without queueing);
 *  (g) the gRPC floor: a bare grpc-js server in a child process answering the same ModelInferResponse
 *      that our gRPC ModelInfer answers; (h) our ModelInfer on the batched server, both at 50
 *      concurrent unary calls from one grpc-js channel in this process;
 *  (i)–(m) a compute-bound model, an MNIST-sized CNN (bench/lib/cnn.ts): its raw session.run floor at
 *      batch sizes 1–64 in a child process; our V2 infer of one image per request (binary tensor
 *      extension) at 64 connections, batched and unbatched; and a Zipf(1.1) workload over 10,000
 *      distinct images with the prediction cache off and on (BENCH_SERVING_CASES=cnn runs these alone);
 * plus the resident memory each loaded model adds to a process. BENCH_SERVING_CASES=validate measures
 * instead the server CPU per single-row request with `validate: reject` (all 26 features checked
 * against the reference's ranges) and without (target: at most 5% more). Every round runs every case, so all
 * see the same load on a busy machine; the figures are medians over rounds, the ratios medians of
 * each round's ratio. autocannon measures latency in whole milliseconds.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ROOT } from './lib/repo';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { loadableSqliteDrivers, openSqlite, SQLITE_DRIVER_ENV } from '../server/src/sqlite';
import { MODEL_SERVER_NODE_FLAGS } from '../server/src/serving/server';
import { LOG_WRITER_FILE } from '../server/src/serving/prediction-log';
import { READ_WORKER_FILE } from '../server/src/tracking/read-pool';
import type * as Ort from 'onnxruntime-node';
import { startModelServer } from '../server/src/serving/server';
import { ModelSession } from '../server/src/serving/sessions';
import { median, percentile, report, type Row } from './report';
import { GRPC_PREDICT_V2_PROTO } from '../server/src/serving/grpc/proto';
import { protoDescriptorJson } from '../server/src/util/protobuf';
import { inferenceClient } from '../test/helpers/grpc';
import { cnnModel, CNN_INPUT, CNN_ROW } from './lib/cnn';
import { seededRandom } from '../server/src/util/random';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP_S = 1;
const CORES = availableParallelism();
const MEMORY_SESSIONS = 10;
/** When set, every server child writes a V8 CPU profile into this folder when it stops. */
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;

const EXAMPLE = join(ROOT, 'examples', 'churn');
const MODEL = join(EXAMPLE, 'models', 'churn-v2.onnx');
const INFER_PATH = '/v2/models/churn/versions/2/infer';

/** The first customer of the example's reference data: 26 encoded features. */
/** `streams` unary ModelInfer calls kept in flight on one grpc-js channel, for DURATION_S after a warm-up second. */
async function loadGrpc(server: Child, streams: number, request: Record<string, unknown>): Promise<Load> {
  const client = inferenceClient(server.grpc as string);
  const run = async (seconds: number) => {
    const latencies: number[] = [];
    const end = performance.now() + seconds * 1000;
    let failed = 0;
    const stream = async () => {
      while (performance.now() < end) {
        const started = performance.now();
        try {
          await client.call('ModelInfer', request);
          latencies.push(performance.now() - started);
        } catch {
          failed++;
        }
      }
    };
    await Promise.all(Array.from({ length: streams }, stream));
    if (failed > 0) throw new Error(`${server.grpc}: ${failed} failed gRPC calls`);
    return latencies;
  };
  try {
    await run(WARMUP_S);
    const before = await statsOf(server);
    const clientCpu = process.cpuUsage();
    const latencies = await run(DURATION_S);
    const { user, system } = process.cpuUsage(clientCpu);
    const after = await statsOf(server);
    return { rps: latencies.length / DURATION_S, p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpuUs: (after.cpu - before.cpu) / latencies.length, clientCpuUs: (user + system) / latencies.length };
  } finally {
    client.close();
  }
}

function firstRow(): number[] {
  const lines = readFileSync(join(EXAMPLE, 'data', 'reference.csv'), 'utf8').split('\n');
  const row = lines[1].split(',').map(Number);
  if (row.length !== 26 || row.some((x) => !Number.isFinite(x))) throw new Error('reference.csv: expected 26 numeric features in its first row');
  return row;
}

const requestBody = () => JSON.stringify({ inputs: [{ name: 'features', shape: [1, 26], datatype: 'FP32', data: firstRow() }] });

/** The same options the model server creates its sessions with (server/src/serving/sessions.ts). */
const SESSION_OPTIONS: Ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
const CNN_SESSION_OPTIONS = SESSION_OPTIONS;

// ---- child processes -----------------------------------------------------------------------------

/** Reports {url} on stdout, then serves until SIGTERM. */
async function childFloor(bodyFile: string): Promise<void> {
  const body = readFileSync(bodyFile);
  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
  answerStats();
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

async function childServe(workspace: string): Promise<void> {
  const sample = process.env.BENCH_INPUTS_SAMPLE;
  const server = await startModelServer({ workspaceRoot: workspace, manifestPath: join(workspace, 'mlops.yaml'), port: 0, grpcPort: 0, host: '127.0.0.1', ...(sample === undefined ? {} : { logInputs: { sample: Number(sample) } }) });
  process.stdout.write(`${JSON.stringify({ url: server.url, grpc: server.grpcAddress })}\n`);
  answerStats();
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

/** A bare grpc-js server whose ModelInfer answers the reply in `replyFile` (JSON form); reports {url, grpc}. */
async function childGrpcFloor(replyFile: string): Promise<void> {
  const reply = JSON.parse(readFileSync(replyFile, 'utf8')) as Record<string, unknown>;
  const definition = protoLoader.fromJSON(protoDescriptorJson(GRPC_PREDICT_V2_PROTO), { keepCase: true, longs: String, defaults: true });
  const service = (grpc.loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: { service: grpc.ServiceDefinition } } }).inference.GRPCInferenceService.service;
  const server = new grpc.Server();
  server.addService(service, { ModelInfer: (_call: unknown, callback: (e: null, r: unknown) => void) => callback(null, reply) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  process.stdout.write(`${JSON.stringify({ url: '', grpc: `127.0.0.1:${port}` })}\n`);
  answerStats();
  process.once('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
}

interface Stats {
  rss: number;
  /** CPU time of the process so far, µs. */
  cpu: number;
}

function answerStats(): void {
  process.on('message', () => {
    const { user, system } = process.cpuUsage();
    process.send?.({ rss: process.memoryUsage().rss, cpu: user + system } satisfies Stats);
  });
}

/** session.run in a loop for `seconds` after a warm-up second: runs per second and per-call latency. */
async function childRaw(seconds: number): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof Ort;
  const session = await ort.InferenceSession.create(readFileSync(MODEL), SESSION_OPTIONS);
  const data = Float32Array.from(firstRow());
  const fetches = ['probability', 'label'];
  const runFor = async (ms: number, latencies?: number[]) => {
    let n = 0;
    const end = performance.now() + ms;
    for (let t = performance.now(); t < end; ) {
      await session.run({ features: new ort.Tensor('float32', data, [1, 26]) }, fetches);
      const now = performance.now();
      latencies?.push(now - t);
      t = now;
      n++;
    }
    return n;
  };
  await runFor(WARMUP_S * 1000);
  const latencies: number[] = [];
  const started = performance.now();
  const cpu = process.cpuUsage();
  const runs = await runFor(seconds * 1000, latencies);
  const { user, system } = process.cpuUsage(cpu);
  const elapsed = (performance.now() - started) / 1000;
  await session.release();
  const result: Load = { rps: runs / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpuUs: (user + system) / runs };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** RSS with ONNX Runtime and one session loaded, then with `n` more, each as the model server loads it. */
async function childMemory(n: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 50));
    }
    return process.memoryUsage().rss;
  };
  const empty = await settle();
  const sessions: ModelSession[] = [(await ModelSession.load(MODEL)).session];
  const one = await settle();
  for (let i = 0; i < n; i++) sessions.push((await ModelSession.load(MODEL)).session);
  const many = await settle();
  process.stdout.write(`${JSON.stringify({ empty, one, many, n })}\n`);
  await Promise.all(sessions.map((s) => s.release()));
}

// ---- the parent ----------------------------------------------------------------------------------

interface Child {
  process: ChildProcess;
  url: string;
  /** host:port of its gRPC service, when it has one. */
  grpc?: string;
}

/**
 * Children run a private copy of this bundle: others may rebuild out/ while the benchmark runs.
 * Its packages still resolve from the repository's node_modules.
 */
let script = __filename;
const childEnv = { ...process.env, MLOPS_REPO: ROOT, NODE_PATH: join(ROOT, 'node_modules') };

function privateCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-serving-bundle-'));
  copyFileSync(__filename, join(dir, 'serving.js'));
  // The prediction log's writer thread is loaded from beside the bundle that starts it.
  for (const worker of [LOG_WRITER_FILE, READ_WORKER_FILE]) copyFileSync(join(__dirname, worker), join(dir, worker));
  return join(dir, 'serving.js');
}

function firstLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before reporting`)));
  });
}

function nodeArgs(name: string): string[] {
  // One folder per case: every thread of the process (the server's helpers too) writes its own profile there.
  return CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${join(CPU_PROF_DIR, name)}`] : [];
}

async function startChild(mode: string, arg: string, name: string, env: Record<string, string> = {}): Promise<Child> {
  // Servers run with the flags the editor gives them; the floor too, so both share the same young generation.
  const child = spawn(process.execPath, [...MODEL_SERVER_NODE_FLAGS, ...nodeArgs(name), script, mode, arg], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...childEnv, ...env } });
  const { url, grpc } = JSON.parse(await firstLine(child, name)) as { url: string; grpc?: string };
  return { process: child, url, grpc };
}

async function runChild<T>(args: string[], what: string): Promise<T> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: childEnv });
  const line = await firstLine(child, what);
  await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
  return JSON.parse(line) as T;
}

function statsOf(child: Child): Promise<Stats> {
  return new Promise((resolve) => {
    child.process.once('message', resolve);
    child.process.send('stats');
  });
}

async function stop(child: Child): Promise<void> {
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGTERM');
  await exited;
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  /** The server process's CPU time per answered request, µs. */
  cpuUs?: number;
  /** This process's (autocannon's) CPU time per answered request, µs. */
  clientCpuUs?: number;
}

interface Target {
  path: string;
  headers: Record<string, string>;
  body: string | Buffer;
  /** A new body for each request, when the workload has more than one. */
  next?: () => Buffer;
}

const churnTarget = (body: string): Target => ({ path: INFER_PATH, headers: { 'content-type': 'application/json' }, body });

async function load(server: Child, connections: number, target: Target | string): Promise<Load> {
  const t = typeof target === 'string' ? churnTarget(target) : target;
  // Loaded here, so the server children (the same bundle) do not carry it.
  const { default: autocannon } = await import('autocannon');
  const next = t.next;
  const options = {
    url: server.url + t.path,
    method: 'POST' as const,
    headers: t.headers,
    body: t.body,
    connections,
    ...(next ? { requests: [{ setupRequest: (request: { body?: string | Buffer }) => ({ ...request, body: next() }) }] } : {}),
  };
  await autocannon({ ...options, duration: WARMUP_S });
  const before = await statsOf(server);
  const client = process.cpuUsage();
  const result = await autocannon({ ...options, duration: DURATION_S });
  const { user, system } = process.cpuUsage(client);
  const after = await statsOf(server);
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${server.url}${t.path}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers of ${result.requests.total}`);
  return { rps: result.requests.total / DURATION_S, p50: result.latency.p50, p99: result.latency.p99, cpuUs: (after.cpu - before.cpu) / result.requests.total, clientCpuUs: (user + system) / result.requests.total };
}

// ---- the convolutional network -------------------------------------------------------------------

const CNN_BATCH = 64;
/** Images are logged for this fraction of requests (`mlops serve --inputs-sample`), as one would serve an image model. */
const CNN_INPUTS_SAMPLE = Number(process.env.BENCH_CNN_INPUTS_SAMPLE ?? 0.01);
const CNN_CONNECTIONS = 64;
const CNN_DISTINCT = 10_000;
const ZIPF_S = 1.1;

/** A workspace serving the CNN three ways: batched, unbatched, batched behind a prediction cache. */
function cnnWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-serving-cnn-'));
  writeFileSync(join(dir, 'cnn.onnx'), cnnModel());
  writeFileSync(
    join(dir, 'mlops.yaml'),
    `version: 1
models:
  cnn: { versions: { "1": { path: cnn.onnx } } }
serving:
  endpoints:
    cnn: { model: cnn, batching: { max_batch_size: ${CNN_BATCH}, max_delay_ms: 2 } }
    cnn-unbatched: { model: cnn }
    cnn-cached: { model: cnn, batching: { max_batch_size: ${CNN_BATCH}, max_delay_ms: 2 }, cache: { max_entries: ${CNN_DISTINCT} } }
`,
  );
  return dir;
}

/** The i-th of the workload's distinct images: seeded pixel values in [0, 1). */
function cnnImage(i: number): Float32Array {
  const image = new Float32Array(CNN_ROW);
  let a = (i + 1) * 0x9e3779b1;
  for (let p = 0; p < CNN_ROW; p++) {
    a = (a ^ (a << 13)) >>> 0;
    a = (a ^ (a >>> 17)) >>> 0;
    a = (a ^ (a << 5)) >>> 0;
    image[p] = (a & 0xff) / 256;
  }
  return image;
}

/** One image as a V2 request in the binary tensor extension, as an image client sends it. */
function cnnBody(image: Float32Array): Buffer {
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: CNN_INPUT, datatype: 'FP32', shape: [1, 1, 28, 28], parameters: { binary_data_size: image.byteLength } }] }));
  return Buffer.concat([header, Buffer.from(image.buffer, image.byteOffset, image.byteLength)]);
}

function cnnTarget(endpoint: string, next?: () => Buffer): Target {
  const body = cnnBody(cnnImage(0));
  const headerLength = body.length - CNN_ROW * 4;
  return { path: `/v2/models/${endpoint}/infer`, headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) }, body, next };
}

/** Zipf(s) over n ranks: rank k (0-based) with probability ∝ 1 / (k + 1)^s, by inverting the CDF. */
function zipfSampler(n: number, s: number, seed = 7): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cdf[k] = total += 1 / (k + 1) ** s;
  const random = seededRandom(seed);
  return () => {
    const u = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** session.run of the CNN, in-process, one caller, at each batch size: rows per second (the batched floor). */
async function childCnnRaw(seconds: number): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof Ort;
  const session = await ort.InferenceSession.create(cnnModel(), CNN_SESSION_OPTIONS);
  const result: Record<string, number> = {};
  for (const batch of CNN_FLOOR_BATCHES) {
    const data = new Float32Array(batch * CNN_ROW);
    for (let b = 0; b < batch; b++) data.set(cnnImage(b), b * CNN_ROW);
    const runFor = async (ms: number) => {
      let rows = 0;
      const end = performance.now() + ms;
      while (performance.now() < end) {
        await session.run({ [CNN_INPUT]: new ort.Tensor('float32', data, [batch, 1, 28, 28]) });
        rows += batch;
      }
      return rows;
    };
    await runFor(300);
    const started = performance.now();
    const rows = await runFor((seconds * 1000) / CNN_FLOOR_BATCHES.length);
    result[batch] = rows / ((performance.now() - started) / 1000);
  }
  await session.release();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const CNN_FLOOR_BATCHES = [1, 16, 32, 64];

/** The server's count of session.run calls (all versions) and of requests to one endpoint, from /metrics. */
async function counters(server: Child, endpoint: string): Promise<{ runs: number; requests: number }> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let runs = 0;
  let requests = 0;
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('mlops_session_runs_total{')) runs += value;
    else if (line.startsWith('mlops_requests_total{') && line.includes(`endpoint="${endpoint}"`)) requests += value;
  }
  return { runs, requests };
}

/** A load, with the mean rows per session.run it caused (warm-up included). */
async function loadCounted(server: Child, connections: number, target: Target, endpoint: string): Promise<Load & { rowsPerRun: number }> {
  const before = await counters(server, endpoint);
  const result = await load(server, connections, target);
  const after = await counters(server, endpoint);
  return { ...result, rowsPerRun: (after.requests - before.requests) / Math.max(1, after.runs - before.runs) };
}

interface CnnRound {
  floor: Record<string, number>;
  batched: Load & { rowsPerRun: number };
  unbatched: Load & { rowsPerRun: number };
  zipfOff: Load;
  zipfOn: Load;
}

/** The compute-bound cases: the CNN batched and unbatched at 64 connections, its raw floor, and the cache under Zipf. */
async function cnnRounds(rounds: number): Promise<Row[]> {
  const dir = cnnWorkspace();
  const server = await startChild('--serve', dir, 'cnn', { BENCH_INPUTS_SAMPLE: String(CNN_INPUTS_SAMPLE) });
  const sampler = zipfSampler(CNN_DISTINCT, ZIPF_S);
  const bodies = Array.from({ length: CNN_DISTINCT }, (_, i) => cnnBody(cnnImage(i)));
  const zipf = () => bodies[sampler()];
  // Before measuring: the server answers what the session answers in-process.
  const probe = await fetch(`${server.url}/v2/models/cnn/infer`, { method: 'POST', headers: cnnTarget('cnn').headers, body: cnnTarget('cnn').body });
  if (probe.status !== 200) throw new Error(`cnn infer answered ${probe.status}: ${await probe.text()}`);
  const results: CnnRound[] = [];
  for (let r = 0; r < rounds; r++) {
    const floor = await runChild<Record<string, number>>([script, '--cnn-raw', String(DURATION_S)], 'CNN session.run loop');
    const batched = await loadCounted(server, CNN_CONNECTIONS, cnnTarget('cnn'), 'cnn');
    const unbatched = await loadCounted(server, CNN_CONNECTIONS, cnnTarget('cnn-unbatched'), 'cnn-unbatched');
    const zipfOff = await load(server, CNN_CONNECTIONS, cnnTarget('cnn', zipf));
    const zipfOn = await load(server, CNN_CONNECTIONS, cnnTarget('cnn-cached', zipf));
    results.push({ floor, batched, unbatched, zipfOff, zipfOn });
    console.error(`cnn round ${r + 1}/${rounds}: floor ${CNN_FLOOR_BATCHES.map((b) => `${b}:${floor[b].toFixed(0)}`).join(' ')} rows/s, batched ${batched.rps.toFixed(0)}/s (${batched.rowsPerRun.toFixed(1)} rows/run), unbatched ${unbatched.rps.toFixed(0)}/s, Zipf cache off ${zipfOff.rps.toFixed(0)}/s on ${zipfOn.rps.toFixed(0)}/s`);
  }
  const stats = (await (await fetch(`${server.url}/mlops/stats`)).json()) as { series: { endpoint: string; cache?: { hitRate: number } }[] };
  const hitRate = stats.series.find((s) => s.endpoint === 'cnn-cached')?.cache?.hitRate ?? NaN;
  await stop(server);
  rmSync(dir, { recursive: true, force: true });

  const med = (pick: (r: CnnRound) => number) => median(results.map(pick));
  const gain = med((r) => r.batched.rps / r.unbatched.rps);
  const ofFloor = med((r) => r.batched.rps / r.floor[CNN_BATCH]);
  const ms = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
  const line = (label: string, pick: (r: CnnRound) => Load): Row => ({
    name: label,
    value: `${med((r) => pick(r).rps).toFixed(0)} req/s, p50 ${ms(med((r) => pick(r).p50))} ms, p99 ${ms(med((r) => pick(r).p99))} ms, server CPU ${med((r) => pick(r).cpuUs as number).toFixed(0)} µs/req, client ${med((r) => pick(r).clientCpuUs as number).toFixed(0)} µs/req`,
  });
  const model = cnnModel();
  return [
    { name: 'CNN: setup', value: `MNIST-sized CNN (${(model.length / 1024 / 1024).toFixed(2)} MB, FP32 [N, 1, 28, 28]), one image per request in the binary tensor extension, ${CNN_CONNECTIONS} conns; batching max_batch_size ${CNN_BATCH}, max_delay_ms 2` },
    { name: '(i) CNN raw session.run in-process, rows/s by batch size', value: CNN_FLOOR_BATCHES.map((b) => `${b}: ${med((r) => r.floor[b]).toFixed(0)}`).join(', ') },
    { name: '    µs per single-row session.run', value: med((r) => 1e6 / r.floor[1]), target: '≥ 100', pass: med((r) => 1e6 / r.floor[1]) >= 100 },
    line('(j) ours CNN, batching on', (r) => r.batched),
    { name: '    rows per session.run', value: med((r) => r.batched.rowsPerRun) },
    line('(k) ours CNN, unbatched', (r) => r.unbatched),
    { name: '(j) / (k) batched / unbatched throughput', value: gain, target: '≥ 2.5', pass: gain >= 2.5 },
    // The model's own gain from batching, with no server at all: what (j) / (k) could reach if
    // batched serving cost nothing beyond session.run and unbatched serving kept its cost.
    { name: `    (i) batch ${CNN_BATCH} / batch 1: what batching gains session.run itself, here`, value: med((r) => r.floor[CNN_BATCH] / r.floor[1]) },
    { name: `    (i) at batch ${CNN_BATCH} / (k): the most (j) / (k) can be, here`, value: med((r) => r.floor[CNN_BATCH] / r.unbatched.rps) },
    { name: `(j) / (i) at batch ${CNN_BATCH}: batched throughput / raw batched floor`, value: ofFloor, target: '≥ 0.6', pass: ofFloor >= 0.6 },
    line(`(l) ours CNN batched, Zipf(${ZIPF_S}) over ${CNN_DISTINCT.toLocaleString('en-US')} images, cache off`, (r) => r.zipfOff),
    line('(m) the same with cache: { max_entries: 10000 }', (r) => r.zipfOn),
    { name: '(m) / (l) throughput, cache on / off', value: med((r) => r.zipfOn.rps / r.zipfOff.rps) },
    { name: '    cache hit rate over all rounds', value: hitRate },
  ];
}

async function cnnBench(): Promise<void> {
  const rows = await cnnRounds(ROUNDS);
  rmSync(dirname(script), { recursive: true, force: true });
  report('serving (CNN cases only)', rows);
}

function copyExample(batching: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), `mlops-bench-serving-${batching ? 'batched' : 'unbatched'}-`));
  // The example's own store (.mlops/), if a run left one, is not part of the copy.
  cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !/[\\/]\.mlops$/.test(src) });
  if (!batching) {
    const manifest = readFileSync(join(dir, 'mlops.yaml'), 'utf8');
    const without = manifest.replace(/^ *batching:.*\n/m, '');
    if (without === manifest) throw new Error('examples/churn/mlops.yaml has no batching: line to remove');
    writeFileSync(join(dir, 'mlops.yaml'), without);
  }
  return dir;
}

// ---- validation at the door ----------------------------------------------------------------------

/**
 * The example with its reference as the model's input data set — all 26 features, each with a type
 * and the reference's range as min/max, no nulls — and the endpoint validating with `reject` (or not).
 */
function validatingExample(validate: boolean): string {
  const dir = copyExample(true);
  const [header, ...lines] = readFileSync(join(dir, 'data', 'reference.csv'), 'utf8').trim().split('\n');
  const names = header.split(',');
  const rows = lines.map((l) => l.split(',').map(Number));
  const columns = names.map((n, j) => `      ${n}: { type: number, min: ${Math.min(...rows.map((r) => r[j]))}, max: ${Math.max(...rows.map((r) => r[j]))}, max_null_share: 0 }`).join('\n');
  let manifest = readFileSync(join(dir, 'mlops.yaml'), 'utf8');
  manifest = manifest.replace(/^( {2}churn:\n {4}task: classification\n)/m, '$1    input: reference\n');
  manifest += `\ndata:\n  reference:\n    path: data/reference.csv\n    columns:\n${columns}\n`;
  if (validate) manifest = manifest.replace(/^( {6}batching:.*\n)/m, '$1      validate: reject\n');
  if (!manifest.includes('input: reference') || (validate && !manifest.includes('validate: reject'))) throw new Error('examples/churn/mlops.yaml changed: the validate case cannot be set up');
  writeFileSync(join(dir, 'mlops.yaml'), manifest);
  return dir;
}

/** Server CPU per single-row V2 request with `validate: reject` (every feature checked) and without. */
async function validateBench(): Promise<void> {
  const body = requestBody();
  const offDir = validatingExample(false);
  const onDir = validatingExample(true);
  const off = await startChild('--serve', offDir, 'validate-off');
  const on = await startChild('--serve', onDir, 'validate-on');
  const bad = await fetch(on.url + INFER_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body.replace(/"data":\[[^,\]]+/, '"data":[-1e9') });
  if (bad.status !== 422) throw new Error(`the validating server answered ${bad.status} to a value out of range: ${await bad.text()}`);
  const offCpu: number[] = [];
  const onCpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = await load(off, 1, body);
    const b = await load(on, 1, body);
    offCpu.push(a.cpuUs as number);
    onCpu.push(b.cpuUs as number);
    console.error(`round ${r + 1}/${ROUNDS}: server CPU per request ${(a.cpuUs as number).toFixed(1)} µs without validate, ${(b.cpuUs as number).toFixed(1)} µs with it`);
  }
  await Promise.all([stop(off), stop(on)]);
  for (const dir of [offDir, onDir, dirname(script)]) rmSync(dir, { recursive: true, force: true });
  const ratios = onCpu.map((x, i) => x / offCpu[i] - 1);
  report('serving-validate', [
    { name: 'server CPU per single-row V2 request, validate off (median µs)', value: median(offCpu) },
    { name: 'the same with validate: reject, 26 features checked (median µs)', value: median(onCpu) },
    { name: 'added CPU, each round', value: ratios.map((x) => `${(x * 100).toFixed(1)}%`).join(' ') },
    { name: 'added CPU, median of the rounds', value: `${(median(ratios) * 100).toFixed(1)}%`, target: '≤ 5%', pass: median(ratios) <= 0.05 },
  ]);
}

async function main(): Promise<void> {
  const [mode, arg] = process.argv.slice(2);
  if (mode === '--floor') return childFloor(arg);
  if (mode === '--grpc-floor') return childGrpcFloor(arg);
  if (mode === '--serve') return childServe(arg);
  if (mode === '--raw') return childRaw(Number(arg));
  if (mode === '--memory') return childMemory(Number(arg));
  if (mode === '--cnn-raw') return childCnnRaw(Number(arg));
  if (process.env.BENCH_SERVING_CASES === 'cnn') {
    script = privateCopy();
    return cnnBench();
  }
  if (process.env.BENCH_SERVING_CASES === 'validate') {
    script = privateCopy();
    return validateBench();
  }

  script = privateCopy();
  const body = requestBody();
  const batchedDir = copyExample(true);
  const unbatchedDir = copyExample(false);
  // The servers above use the first driver that loads; where both load, a second batched server
  // runs on the other one, so the prediction log's cost is measured on both in the same rounds.
  const drivers = loadableSqliteDrivers();
  const batched = await startChild('--serve', batchedDir, 'batched', { [SQLITE_DRIVER_ENV]: drivers[0] });
  const unbatched = await startChild('--serve', unbatchedDir, 'unbatched', { [SQLITE_DRIVER_ENV]: drivers[0] });
  const otherDir = drivers.length > 1 ? copyExample(true) : undefined;
  const other = otherDir ? await startChild('--serve', otherDir, 'batched-other-driver', { [SQLITE_DRIVER_ENV]: drivers[1] }) : undefined;

  // What our server answers is what the floor answers, byte for byte.
  const probe = await fetch(batched.url + INFER_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answer = await probe.text();
  if (probe.status !== 200 || !/"name":"probability"/.test(answer)) throw new Error(`infer answered ${probe.status}: ${answer}`);
  const bodyFile = join(batchedDir, 'floor-body.json');
  writeFileSync(bodyFile, answer.replace(/"id":"[^"]*"/, `"id":"${'0'.repeat(36)}"`));
  const floor = await startChild('--floor', bodyFile, 'floor');
  // The gRPC floor answers what our ModelInfer answers to the same row.
  const grpcRequest = { model_name: 'churn', model_version: '2', id: '0'.repeat(36), inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 26], contents: { fp32_contents: firstRow() } }] };
  const probeClient = inferenceClient(batched.grpc as string);
  const grpcReply = await probeClient.call('ModelInfer', grpcRequest);
  probeClient.close();
  const replyFile = join(batchedDir, 'grpc-floor-reply.json');
  writeFileSync(replyFile, JSON.stringify(grpcReply));
  const grpcFloor = await startChild('--grpc-floor', replyFile, 'grpc-floor');

  const rounds: { floor: Load; raw: Load; c50: Load; u50: Load; c200: Load; u200: Load; floor1: Load; c1: Load; o50?: Load; g50floor: Load; g50: Load }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const floor1 = await load(floor, 1, body);
    const c1 = await load(batched, 1, body);
    const f = await load(floor, 50, body);
    const raw = await runChild<Load>([script, '--raw', String(DURATION_S)], 'session.run loop');
    const c50 = await load(batched, 50, body);
    const u50 = await load(unbatched, 50, body);
    const c200 = await load(batched, 200, body);
    const u200 = await load(unbatched, 200, body);
    const o50 = other ? await load(other, 50, body) : undefined;
    const g50floor = await loadGrpc(grpcFloor, 50, grpcRequest);
    const g50 = await loadGrpc(batched, 50, grpcRequest);
    rounds.push({ floor: f, raw, c50, u50, c200, u200, floor1, c1, o50, g50floor, g50 });
    console.error(`round ${r + 1}/${ROUNDS}: floor ${f.rps.toFixed(0)}/s p99 ${f.p99} ms, session.run ${raw.rps.toFixed(0)}/s, ours@50 ${c50.rps.toFixed(0)}/s p99 ${c50.p99} ms (unbatched ${u50.rps.toFixed(0)}), ours@200 ${c200.rps.toFixed(0)}/s (unbatched ${u200.rps.toFixed(0)}), gRPC floor ${g50floor.rps.toFixed(0)}/s, ours gRPC ${g50.rps.toFixed(0)}/s`);
  }

  const serverRss = (await statsOf(batched)).rss;
  const floorRss = (await statsOf(floor)).rss;
  await Promise.all([stop(batched), stop(unbatched), stop(floor), stop(grpcFloor), ...(other ? [stop(other)] : [])]);
  const cnnRows = await cnnRounds(ROUNDS);
  const memory = await runChild<{ empty: number; one: number; many: number; n: number }>(['--expose-gc', script, '--memory', String(MEMORY_SESSIONS)], 'memory');

  // The prediction log was on: every answered request has its row.
  const served = rounds.reduce((n, r) => n + (r.c50.rps + r.c200.rps + r.g50.rps) * DURATION_S, 0);
  const db = openSqlite(join(batchedDir, '.mlops', 'index.db'), { readonly: true });
  const logged = db.prepare('SELECT count(*) FROM predictions').pluck().get() as number;
  db.close();
  if (logged < served) throw new Error(`the prediction log has ${logged} rows for at least ${served} answered requests`);
  if (otherDir) {
    const servedOther = rounds.reduce((n, r) => n + (r.o50?.rps ?? 0) * DURATION_S, 0);
    const otherDb = openSqlite(join(otherDir, '.mlops', 'index.db'), { readonly: true });
    const loggedOther = otherDb.prepare('SELECT count(*) FROM predictions').pluck().get() as number;
    otherDb.close();
    if (loggedOther < servedOther) throw new Error(`the ${drivers[1]} prediction log has ${loggedOther} rows for at least ${servedOther} answered requests`);
  }
  for (const dir of [batchedDir, unbatchedDir, dirname(script), ...(otherDir ? [otherDir] : [])]) rmSync(dir, { recursive: true, force: true });

  const med = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
  const leastMeanMs = (l: Load) => (50 * ((l.cpuUs as number) + (l.clientCpuUs as number))) / CORES / 1000;
  const ratio = med((r) => r.c50.rps / r.floor.rps);
  const p99 = med((r) => r.c50.p99);
  const batchGain = med((r) => r.c200.rps / r.u200.rps);
  const mb = (bytes: number) => bytes / 1024 / 1024;
  const perModel = mb(memory.many - memory.one) / memory.n;
  const ms = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
  const line = (label: string, pick: (r: (typeof rounds)[number]) => Load): Row => ({
    name: label,
    value:
      `${med((r) => pick(r).rps).toFixed(0)} req/s, p50 ${ms(med((r) => pick(r).p50))} ms, p99 ${ms(med((r) => pick(r).p99))} ms` +
      (pick(rounds[0]).cpuUs === undefined ? '' : `, server CPU ${med((r) => pick(r).cpuUs as number).toFixed(0)} µs/req`),
  });
  report('serving', [
    { name: 'setup', value: `${ROUNDS} rounds × ${DURATION_S} s per case after ${WARMUP_S} s warm-up; churn-v2.onnx, 1 row, FP32 [1, 26]` },
    line('(a) floor: bare node:http, same JSON bytes, 50 conns', (r) => r.floor),
    line('(b) raw session.run in-process, 1 caller (no HTTP; CPU per run)', (r) => r.raw),
    line('(c) ours V2 infer, batching on (as the example), 50 conns', (r) => r.c50),
    line('    ours V2 infer, unbatched, 50 conns', (r) => r.u50),
    { name: '(c) / (a) throughput', value: ratio, target: '≥ 0.5', pass: ratio >= 0.5 },
    { name: '(a) / (c) server CPU per request (the ratio when CPU-bound)', value: med((r) => (r.floor.cpuUs as number) / (r.c50.cpuUs as number)) },
    { name: '(c) p99 ms', value: p99, target: '≤ 5', pass: p99 <= 5 },
    { name: '    the floor\'s own p99 ms at 50 conns (no model, no log)', value: med((r) => r.floor.p99) },
    // A closed loop of n connections has a mean latency of n / throughput (Little's law), and
    // throughput is at most the cores over the CPU per request of client and server together.
    { name: '    mean latency at 50 conns = 50 / throughput: floor | ours (ms)', value: `${ms(med((r) => 50_000 / r.floor.rps))} | ${ms(med((r) => 50_000 / r.c50.rps))}` },
    { name: `    its least value with all ${CORES} cores busy, 50 × CPU per request / ${CORES}: floor | ours (ms)`, value: `${ms(med((r) => leastMeanMs(r.floor)))} | ${ms(med((r) => leastMeanMs(r.c50)))}` },
    { name: '    client (autocannon) CPU per request: floor | ours (µs)', value: `${med((r) => r.floor.clientCpuUs as number).toFixed(0)} | ${med((r) => r.c50.clientCpuUs as number).toFixed(0)}` },
    line('    unloaded: floor, 1 conn', (r) => r.floor1),
    line('    unloaded: ours V2 infer, batching on, 1 conn', (r) => r.c1),
    line('(g) gRPC floor: bare grpc-js, same reply, 50 concurrent calls', (r) => r.g50floor),
    line('(h) ours gRPC ModelInfer, batching on, 50 concurrent calls', (r) => r.g50),
    { name: '(h) / (g) gRPC throughput', value: med((r) => r.g50.rps / r.g50floor.rps), target: '≥ 0.5', pass: med((r) => r.g50.rps / r.g50floor.rps) >= 0.5 },
    { name: '(h) / (c) gRPC / REST throughput, same model, 50', value: med((r) => r.g50.rps / r.c50.rps), target: '≥ 1', pass: med((r) => r.g50.rps / r.c50.rps) >= 1 },
    // A bare grpc-js server answering a fixed reply is the most any grpc-js service can serve.
    { name: '    (g) / (c): the bare grpc-js floor against our REST, the most (h) / (c) can be here', value: med((r) => r.g50floor.rps / r.c50.rps) },
    { name: '    server CPU per call: bare grpc-js (g) | our whole REST infer (c) (µs)', value: `${med((r) => r.g50floor.cpuUs as number).toFixed(0)} | ${med((r) => r.c50.cpuUs as number).toFixed(0)}` },
    { name: '    client CPU per request: grpc-js | autocannon (µs)', value: `${med((r) => r.g50.clientCpuUs as number).toFixed(0)} | ${med((r) => r.c50.clientCpuUs as number).toFixed(0)}` },
    line('ours batched, 200 conns', (r) => r.c200),
    line('ours unbatched, 200 conns', (r) => r.u200),
    { name: 'batched / unbatched throughput at 200 conns', value: batchGain, target: '≥ 1.5', pass: batchGain >= 1.5 },
    { name: 'unbatched / batched server CPU per request at 200 conns', value: med((r) => (r.u200.cpuUs as number) / (r.c200.cpuUs as number)) },
    { name: 'RSS: node alone (MB)', value: mb(memory.empty) },
    { name: 'RSS: node + ONNX Runtime + 1 session (MB)', value: mb(memory.one) },
    { name: `RSS per further loaded model, mean of ${memory.n} (MB)`, value: perModel },
    { name: 'RSS of the model server after the run, 2 versions loaded (MB)', value: mb(serverRss) },
    { name: 'RSS of the floor server after the run (MB)', value: mb(floorRss) },
    { name: 'prediction log rows written', value: `${logged} (≥ ${served.toFixed(0)} answered)` },
    ...cnnRows,
    ...(other
      ? [
          line(`SQLite drivers, batched, 50 conns, Node ${process.version}: ${drivers[0]}`, (r) => r.c50),
          line(`    the same on ${drivers[1]}`, (r) => r.o50!),
          {
            name: `${drivers[1]} / ${drivers[0]} throughput (prediction log on each)`,
            value: med((r) => r.o50!.rps / r.c50.rps),
            target: '≥ 0.8',
            pass: med((r) => r.o50!.rps / r.c50.rps) >= 0.8,
          },
        ]
      : [{ name: 'SQLite drivers side by side', value: `only ${drivers[0]} loads on Node ${process.version}; run "npm run bench -- --node 24 serving"` }]),
  ]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
