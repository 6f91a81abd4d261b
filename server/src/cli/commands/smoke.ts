import { parseArgs } from 'node:util';
import { formatSmoke, resolveTarget, runSmoke, SMOKE_FORMATS, SMOKE_PROTOCOLS, SmokeUsageError, type SmokeFormat, type SmokeProtocol } from '../../smoke';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, type Out } from '../usage';
import { folderManifest } from './ab';

export const SMOKE_HELP = `Usage: mlops smoke <url> [folder] [options]

Smoke-tests a deployed endpoint (a KServe InferenceService, a Seldon model, \`mlflow models serve\`,
\`mlops serve\`) against the ONNX files of folder/mlops.yaml (default folder: .): sends the first N
rows of the model's monitoring reference (else of its input data set, models.<m>.input) and
compares each answer with the local ONNX session's for the same row. Checks, each reported with
where it failed (file, row, output, expected and got):

  health    V2 /v2/health/ready and /v2/models/<name>/ready; V1 /v1/models/<name>; MLflow /ping
  metadata  V2 only: the endpoint's inputs and outputs (names, datatypes, shapes) against the
            local signature; V1 and MLflow have none
  answers   labels equal, scores within --tolerance + --rtol·|expected|
  latency   p95 of the requests against --p95-ms (default: the model's p95_latency_ms gate)

An endpoint that splits traffic between versions may answer from either: each answer is compared
with the version it names (V2 model_version, or an x-model-version header as mlops serve sends),
else with whichever version of the split it matches.

Options:
  --model M           model or endpoint of mlops.yaml (default: its only endpoint)
  --remote-name NAME  the model's name on the endpoint (default: the endpoint's or model's name)
  --version V         version or alias to compare with (default: production, else the version
                      with the most traffic)
  --protocol P        v2 (default), v1 or mlflow
  --rows N            rows to send (default 50)
  --batch K           rows per request (default 1: one request per row)
  --input FILE        send the rows of this CSV, JSON Lines or Parquet file instead
  --tolerance A       absolute tolerance of scores (default 1e-4)
  --rtol R            relative tolerance of scores (default 1e-4)
  --p95-ms MS         latency budget for the p95 of the requests
  --timeout-ms MS     per-request timeout (default 10000)
  --header 'K: V'     sent with every request, e.g. 'Authorization: Bearer …' (repeatable)
  --format F          text (default), json, or github (GitHub Actions annotations)
  --json              the same as --format json
  -h, --help          show this help

Exit codes: 0 every check passed, 1 a check failed, 2 bad usage or an unusable manifest.
`;

const positiveInt = (name: string, raw: string | undefined, fallback: number, max: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${name} must be an integer from 1 to ${max}, not "${raw}"`);
  return n;
};

const nonNegative = (name: string, raw: string | undefined, fallback: number | undefined): number | undefined => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a number of 0 or more, not "${raw}"`);
  return n;
};

export async function smokeCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      'remote-name': { type: 'string' },
      version: { type: 'string' },
      protocol: { type: 'string', default: 'v2' },
      rows: { type: 'string' },
      batch: { type: 'string' },
      input: { type: 'string' },
      tolerance: { type: 'string' },
      rtol: { type: 'string' },
      'p95-ms': { type: 'string' },
      'timeout-ms': { type: 'string' },
      header: { type: 'string', multiple: true },
      format: { type: 'string', default: 'text' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.stdout(SMOKE_HELP);
    return EXIT_OK;
  }
  const [url, folder = '.', ...extra] = positionals;
  if (!url) throw new UsageError('smoke needs the endpoint\'s URL: mlops smoke <url> [folder]');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (!/^https?:\/\/[^/]/i.test(url)) throw new UsageError(`the URL must start with http:// or https://, not "${url}"`);
  const protocol = values.protocol as string;
  if (!(SMOKE_PROTOCOLS as readonly string[]).includes(protocol)) throw new UsageError(`--protocol must be one of ${SMOKE_PROTOCOLS.join(', ')}, not "${protocol}"`);
  const format = values.json ? 'json' : (values.format as string);
  if (!(SMOKE_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${SMOKE_FORMATS.join(', ')}, not "${format}"`);
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(h);
    if (!m) throw new UsageError(`--header must be 'Name: value', not "${h}"`);
    headers[m[1].toLowerCase()] = m[2];
  }
  const rows = positiveInt('--rows', values.rows, 50, 100_000);
  const batch = positiveInt('--batch', values.batch, 1, 100_000);
  const tolerance = { absolute: nonNegative('--tolerance', values.tolerance, 1e-4)!, relative: nonNegative('--rtol', values.rtol, 1e-4)! };
  const p95Ms = nonNegative('--p95-ms', values['p95-ms'], undefined);
  const timeoutMs = positiveInt('--timeout-ms', values['timeout-ms'], 10_000, 3_600_000);
  const { root, manifestPath } = folderManifest(folder);

  let report;
  try {
    const target = resolveTarget({ manifestPath, workspaceRoot: root, model: values.model, remoteName: values['remote-name'], version: values.version, input: values.input });
    report = await runSmoke(target, { url, protocol: protocol as SmokeProtocol, rows, batch, tolerance, p95Ms, timeoutMs, headers });
  } catch (error) {
    if (error instanceof SmokeUsageError) {
      if (format === 'json') out.stdout(`${JSON.stringify({ error: error.message }, null, 2)}\n`);
      out.stderr(`mlops: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  out.stdout(formatSmoke(report, format as SmokeFormat, process.cwd()));
  return report.passed ? EXIT_OK : EXIT_FINDINGS;
}
