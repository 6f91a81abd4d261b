import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ScoreCancelled, ScoreError, scoreFile } from '../../batch/score';
import type { ScoreProgress, ScoreSummary } from '../../contract';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, type Out } from '../usage';
import { folderManifest } from './ab';

export const PREDICT_HELP = `Usage: mlops predict <model>[@version|@alias] --input F --output G [folder] [options]

Batch scoring: every row of F through a model version of folder/mlops.yaml (default folder: .), into
G. F and G are CSV (delimiter , ; tab or | found by itself, a UTF-8 BOM, quoted fields, CRLF), JSON
Lines (.jsonl, .ndjson) or Parquet (.parquet), by their extensions. Without @version the production
alias is used, else the highest version.

Columns map to the model's inputs by name (one input per column), or for one [N, k] input by the
model's feature_names metadata, else the header of monitoring.<model>.reference, else --features;
a file of exactly k columns feeds them in order. Other columns (an id) are copied to G, and the
outputs appended (a [N, k] output as name_0 … name_{k-1}). The file is read as a stream: memory
follows the batch size, whatever the file's size. G is written to a temporary file and renamed at
the end, so a failed run leaves nothing half-written.

A row with a cell the model cannot take (text for a number, a missing value where the model has no
imputer or tree to take one, a wrong field count) is an error of that row and column.

Options:
  --input F               the table to score (required)
  --output G              where to write it (required; not the input)
  --on-error fail|skip    fail (default): stop at the first bad row, write nothing, print the first
                          ten located errors, exit 1; skip: leave bad rows out of G, and count them
  --features A,B,…        feature columns of a single [N, k] input, in order
  --batch-size N          rows per session.run (default 8192)
  --json                  print the summary as JSON {rows, scored, rejected, errors, seconds, output, …}
  -h, --help              show this help

Progress (rows, rows/s, ETA) is drawn on stderr when it is a terminal.
Exit codes: 0 scored, 1 rows rejected with --on-error fail, 2 bad usage, unknown model or unreadable file.
`;

export async function predictCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: 'string' },
      output: { type: 'string' },
      'on-error': { type: 'string', default: 'fail' },
      features: { type: 'string' },
      'batch-size': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.stdout(PREDICT_HELP);
    return EXIT_OK;
  }
  const [model, folder = '.', ...extra] = positionals;
  if (!model) throw new UsageError('predict needs a model: mlops predict <model>[@version] --input F --output G');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (!values.input) throw new UsageError('predict needs --input F (the file to score)');
  if (!values.output) throw new UsageError('predict needs --output G (where to write the scores)');
  const onError = values['on-error'];
  if (onError !== 'fail' && onError !== 'skip') throw new UsageError(`--on-error must be fail or skip, not "${onError}"`);
  const batchRows = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchRows !== undefined && !(Number.isInteger(batchRows) && batchRows >= 1 && batchRows <= 1_000_000)) throw new UsageError(`--batch-size must be an integer from 1 to 1000000, not "${values['batch-size']}"`);
  const features = values.features?.split(',').map((f) => f.trim());
  if (features?.some((f) => f === '')) throw new UsageError('--features lists column names separated by commas, without empty ones');
  const { root, manifestPath } = folderManifest(folder);

  const tty = out.stderrIsTTY === true;
  let drawn = false;
  const draw = (p: ScoreProgress) => {
    out.stderr(`\r\x1b[K${progressLine(p)}`);
    drawn = true;
  };
  let summary: ScoreSummary;
  try {
    summary = await scoreFile({ manifestPath, workspaceRoot: root, model, input: resolve(values.input), output: resolve(values.output), onError, features, batchRows, onProgress: tty ? draw : undefined });
  } catch (error) {
    if (drawn) out.stderr('\n');
    if (error instanceof ScoreError || error instanceof ScoreCancelled) {
      if (values.json) out.stdout(`${JSON.stringify({ error: error.message }, null, 2)}\n`);
      out.stderr(`mlops: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  if (drawn) out.stderr('\n');
  if (values.json) out.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  else out.stdout(summaryText(summary));
  if (!summary.written) {
    if (!values.json) for (const e of summary.errors) out.stderr(`${values.input}: ${rowErrorText(e)}\n`);
    return EXIT_FINDINGS;
  }
  return EXIT_OK;
}

export function rowErrorText(e: ScoreSummary['errors'][number]): string {
  return `row ${e.row}${e.line !== undefined ? ` (line ${e.line})` : ''}${e.column !== undefined ? `, ${typeof e.column === 'number' ? `column ${e.column}` : `column ${e.column}`}` : ''}: ${e.message}`;
}

const count = (n: number) => n.toLocaleString('en-US');

function progressLine(p: ScoreProgress): string {
  const eta = p.etaSeconds !== undefined ? ` · ETA ${duration(p.etaSeconds)}` : '';
  return `${count(p.rows)} rows${p.totalRows ? ` of ${count(p.totalRows)}` : ''} (${Math.round(p.fraction * 100)}%) · ${count(Math.round(p.rowsPerSecond))} rows/s${p.rejected ? ` · ${count(p.rejected)} rejected` : ''}${eta}`;
}

function duration(s: number): string {
  if (s < 60) return `${Math.ceil(s)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function summaryText(s: ScoreSummary): string {
  if (!s.written) return `${s.model} version ${s.version}: ${count(s.rejected)} of ${count(s.rows)} rows cannot be scored; nothing was written (--on-error skip leaves them out)\n`;
  const rate = s.seconds > 0 ? ` (${count(Math.round(s.scored / s.seconds))} rows/s)` : '';
  return [
    `Scored ${count(s.scored)} of ${count(s.rows)} rows with ${s.model} version ${s.version} in ${s.seconds.toFixed(1)} s${rate} → ${s.output}`,
    `  inputs: ${s.mapping}; outputs: ${s.outputs.join(', ')}${s.skippedOutputs.length ? ` (not written: ${s.skippedOutputs.join(', ')})` : ''}`,
    ...(s.rejected > 0 ? [`  ${count(s.rejected)} rows left out:`, ...s.errors.map((e) => `    ${rowErrorText(e)}`), ...(s.rejected > s.errors.length ? [`    … and ${count(s.rejected - s.errors.length)} more`] : [])] : []),
    '',
  ].join('\n');
}
