/**
 * Language server benchmark: a 2,000-line manifest with 200 models in a workspace where every
 * version's ONNX file and run exist (so the file, signature, run and gate checks all do real work).
 * Our server (dist/server/server.js) and yaml-language-server, validating the same file against
 * schemas/mlops.schema.json, each get the same sequence of one-number edits over stdio; the latency
 * is from sending didChange to receiving the publishDiagnostics for that edit. Rounds alternate
 * between the two servers, so both see the same load on a busy machine; medians over rounds.
 *
 * yaml-language-server waits a fixed 200 ms after a change before it validates (not configurable),
 * so its latency is reported as received and without that delay; the verdict uses the latter.
 * The floor is a parse of the same text with the `yaml` package in this process: what reading the
 * file costs any YAML tool.
 */
import { ROOT } from './lib/repo';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';
import { largeManifest } from '../test/helpers/large-manifest';
import { LspSession } from '../test/helpers/lsp';
import { identityModel } from '../test/helpers/onnx-builder';
import { StdioLspClient } from './lib/lsp-client';
import { median, percentile, report } from './report';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const EDITS = Number(process.env.BENCH_EDITS ?? 50);
const MODELS = 200;
/** yaml-language-server's validationDelayMs. */
const YAML_LS_DELAY_MS = 200;

const SERVER = join(ROOT, 'dist', 'server', 'server.js');
const YAML_LS = join(ROOT, 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server');
const SCHEMA = join(ROOT, 'schemas', 'mlops.schema.json');

/** Deterministic uniform [0, 1) (mulberry32). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The manifest plus what it refers to: 400 ONNX files and 400 JSONL runs whose metrics pass the gates. */
function writeWorkspace(dir: string, text: string): void {
  writeFileSync(join(dir, 'mlops.yaml'), text);
  mkdirSync(join(dir, 'models'));
  mkdirSync(join(dir, 'runs'));
  const onnx = identityModel('FP32', ['N', 4]);
  for (let i = 0; i < MODELS; i++) {
    for (const [v, r] of [['1', 'a'], ['2', 'b']]) {
      writeFileSync(join(dir, 'models', `m${i}-v${v}.onnx`), onnx);
      const runId = `run-${i}-${r}`;
      const lines = [
        { type: 'run_start', run_id: runId, experiment: 'bench', name: runId, time: 1_700_000_000_000 },
        { type: 'metric', metrics: { accuracy: 0.9, p95_latency_ms: 10 }, step: 0, time: 1_700_000_000_001 },
        { type: 'run_end', status: 'FINISHED', time: 1_700_000_000_002 },
      ];
      writeFileSync(join(dir, 'runs', `${runId}.jsonl`), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    }
  }
}

/** The edits: each changes the accuracy gate of one model to another value that still passes. */
function editSequence(text: string, count: number, seed: number): string[] {
  const lines = text.split('\n');
  const gateLine = new Map<number, number>();
  let model = -1;
  lines.forEach((line, n) => {
    const m = /^ {2}model-(\d+):$/.exec(line);
    if (m) model = Number(m[1]);
    else if (model >= 0 && line.startsWith('    gates:') && !gateLine.has(model)) gateLine.set(model, n);
    else if (/^\S/.test(line) && line !== 'models:') model = -1;
  });
  if (gateLine.size !== MODELS) throw new Error(`expected ${MODELS} gate lines, found ${gateLine.size}`);
  const random = prng(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = gateLine.get(Math.floor(random() * MODELS)) as number;
    const before = lines[n];
    lines[n] = before.replace(/min: [0-9.]+/, () => {
      let next: string;
      do next = `0.8${1 + Math.floor(random() * 9)}`;
      while (before.includes(`min: ${next} `));
      return `min: ${next}`;
    });
    out.push(lines.join('\n'));
  }
  return out;
}

/** A copy with one schema error and six problems only a reader of the whole workspace can see. */
function seededProblems(text: string): { text: string; seeded: number } {
  const replacements: [RegExp, string][] = [
    [/(model-3:\n {4}task: )classification/, '$1clasification'], // not in the schema's enum
    [/(model-5:[\s\S]*?aliases: \{ production: "1", staging: )"2"/, '$1"3"'], // alias to a version that does not exist
    [/run: run-7-a/, 'run: run-7-x'], // a run that is not logged
    [/path: models\/m9-v1\.onnx/, 'path: models/missing.onnx'], // a model file that does not exist
    [/(ep-11:\n {6}model: )model-11/, '$1model-999'], // an endpoint serving an undeclared model
    [/(x-13: \{ endpoint: ep-13, control: )"1"/, '$1"4"'], // an experiment arm that is not a version
    [/(model-15:[\s\S]*?gates: \{ accuracy: \{ min: )0\.8/, '$10.99'], // a gate its runs fail
  ];
  let out = text;
  for (const [pattern, replacement] of replacements) {
    const next = out.replace(pattern, replacement);
    if (next === out) throw new Error(`seeded problem ${pattern} did not apply`);
    out = next;
  }
  return { text: out, seeded: replacements.length };
}

interface Stats {
  p50: number;
  p95: number;
}
const stats = (latencies: number[]): Stats => ({ p50: median(latencies), p95: percentile(latencies, 95) });

async function main(): Promise<void> {
  if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: run npm run build first`);
  if (!existsSync(YAML_LS)) throw new Error(`${YAML_LS} is missing: npm install (yaml-language-server is a devDependency)`);
  const text = largeManifest(MODELS);
  const lineCount = text.split('\n').length - 1;
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-lsp-'));
  writeWorkspace(dir, text);
  const uri = pathToFileURL(join(dir, 'mlops.yaml')).toString();

  // Ours. Open, then wait until the run index and the ONNX inspections are in and the file is clean.
  const ours = new LspSession();
  await ours.initialize(dir);
  await ours.open(uri, text, 1);
  let version = 1;
  await ours.diagnosticsFor(uri, 0, (d) => d.length === 0, 120_000).catch(async (error: unknown) => {
    const last = await ours.diagnosticsForVersion(uri, 1);
    throw new Error(`our server never reported the workspace clean; last: ${JSON.stringify(last.slice(0, 5))}\n${String(error)}`);
  });
  await new Promise((r) => setTimeout(r, 1000)); // let background revalidation finish

  // yaml-language-server with our schema.
  const yamlSettings = { yaml: { schemas: { [pathToFileURL(SCHEMA).toString()]: ['mlops.yaml', '*.yaml'] }, validate: true }, http: {}, '[yaml]': {}, editor: {} };
  const theirs = new StdioLspClient(process.execPath, [YAML_LS, '--stdio'], yamlSettings);
  await theirs.initialize(dir);
  let theirVersion = 1;
  const opened = theirs.mark();
  await theirs.open(uri, text, 1);
  await theirs.next(uri, opened, 30_000);
  await theirs.settle(600);
  const firstTheirs = theirs.received[theirs.received.length - 1].params.diagnostics;
  if (firstTheirs.length !== 0) throw new Error(`yaml-language-server finds problems in the clean manifest: ${JSON.stringify(firstTheirs.slice(0, 3))}`);

  // Both must see the seeded problems' schema error (proof that yaml-language-server applies the schema).
  const seeded = seededProblems(text);
  await ours.change(uri, ++version, seeded.text);
  const oursSeeded = await ours.diagnosticsForVersion(uri, version);
  let mark = theirs.mark();
  await theirs.change(uri, ++theirVersion, seeded.text);
  const theirsSeeded = (await theirs.next(uri, mark)).params.diagnostics;
  // The clean file has no findings from it, so any now is the seeded schema error.
  if (theirsSeeded.length === 0) throw new Error('yaml-language-server did not report the seeded schema error, so the schema is not applied');
  await ours.change(uri, ++version, text);
  await ours.diagnosticsForVersion(uri, version);
  mark = theirs.mark();
  await theirs.change(uri, ++theirVersion, text);
  await theirs.next(uri, mark);

  const oursRounds: Stats[] = [];
  const theirsRounds: Stats[] = [];
  const theirsComputeRounds: Stats[] = [];
  const floorRounds: number[] = [];
  let oursDirty = 0;
  let theirsDirty = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const edits = editSequence(text, EDITS, 1000 + round);
    // Floor: parsing the text, in this process, in every round (so under the same load).
    const parses: number[] = [];
    for (const edit of edits.slice(0, 15)) {
      const t0 = performance.now();
      parseDocument(edit);
      parses.push(performance.now() - t0);
    }
    floorRounds.push(median(parses.slice(5)));
    const mine: number[] = [];
    for (const edit of edits) {
      const v = ++version;
      const t0 = performance.now();
      await ours.change(uri, v, edit);
      const diagnostics = await ours.diagnosticsForVersion(uri, v);
      mine.push(performance.now() - t0);
      if (diagnostics.length > 0) oursDirty++;
    }
    oursRounds.push(stats(mine));
    await ours.change(uri, ++version, text);
    await ours.diagnosticsForVersion(uri, version);

    const their: number[] = [];
    for (const edit of edits) {
      const since = theirs.mark();
      const t0 = performance.now();
      await theirs.change(uri, ++theirVersion, edit);
      const got = await theirs.next(uri, since);
      their.push(got.at - t0);
      if (got.params.diagnostics.length > 0) theirsDirty++;
    }
    theirsRounds.push(stats(their));
    theirsComputeRounds.push(stats(their.map((ms) => ms - YAML_LS_DELAY_MS)));
    mark = theirs.mark();
    await theirs.change(uri, ++theirVersion, text);
    await theirs.next(uri, mark);
  }
  await ours.shutdown();
  await theirs.shutdown();
  rmSync(dir, { recursive: true, force: true });
  if (oursDirty > 0 || theirsDirty > 0) throw new Error(`clean edits got diagnostics: ours ${oursDirty}, yaml-language-server ${theirsDirty}`);

  const m = (rounds: Stats[], key: keyof Stats) => median(rounds.map((r) => r[key]));
  const floor = median(floorRounds);
  const oursP50 = m(oursRounds, 'p50');
  const oursP95 = m(oursRounds, 'p95');
  const theirsP50 = m(theirsRounds, 'p50');
  const theirsP95 = m(theirsRounds, 'p95');
  const theirsComputeP50 = m(theirsComputeRounds, 'p50');
  const theirsComputeP95 = m(theirsComputeRounds, 'p95');
  report('lsp', [
    { name: 'manifest', value: `${lineCount} lines, ${MODELS} models; ${ROUNDS} rounds × ${EDITS} edits per server` },
    { name: 'floor: YAML parse of the text in-process (median ms)', value: floor },
    { name: 'ours: didChange → diagnostics, median ms', value: oursP50 },
    { name: 'ours: didChange → diagnostics, p95 ms', value: oursP95, target: '≤ 50', pass: oursP95 <= 50 },
    { name: 'ours median / floor', value: oursP50 / floor },
    { name: 'yaml-language-server (schema only): median ms', value: theirsP50 },
    { name: 'yaml-language-server (schema only): p95 ms', value: theirsP95 },
    { name: `yaml-language-server less its fixed ${YAML_LS_DELAY_MS} ms delay: median ms`, value: theirsComputeP50 },
    { name: `yaml-language-server less its fixed ${YAML_LS_DELAY_MS} ms delay: p95 ms`, value: theirsComputeP95 },
    { name: 'ours p95 / yaml-language-server p95 (as received)', value: oursP95 / theirsP95, target: '< 1', pass: oursP95 < theirsP95 },
    { name: 'ours p95 / yaml-language-server p95 (delay excluded)', value: oursP95 / theirsComputeP95, target: '< 1', pass: oursP95 < theirsComputeP95 },
    { name: `diagnostics on a copy with ${seeded.seeded} seeded problems (1 schema, ${seeded.seeded - 1} semantic)`, value: `ours ${oursSeeded.length}, yaml-language-server ${theirsSeeded.length}` },
  ]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
