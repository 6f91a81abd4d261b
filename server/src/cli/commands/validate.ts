import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DataValidationReport, ExpectationResult } from '../../contract';
import { DataFileError } from '../../data/table';
import { displayPath, githubAnnotation } from '../../check/format';
import { MANIFEST_FILE_NAMES } from '../../manifest/parse';
import { DataValidationError, inferExpectations, NoDatasetsError, validateData, ValidationCancelled } from '../../validation';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, type Out } from '../usage';
import { folderManifest } from './ab';

export const VALIDATE_HELP = `Usage: mlops validate [dataset|file] [folder] [--format text|json|github]
       mlops validate --infer FILE [--name N] [folder]

Checks the data sets declared under \`data:\` in folder/mlops.yaml (default folder: .) against
their files: each column's type, min/max, values, uniqueness, pattern, date format and share of
nulls, the row count and columns not listed. Name a data set to check only it, or a file to check
it against the data set whose path names it. Files are read as a stream (CSV with any delimiter,
JSON Lines, Parquet), whatever their size.

Every failed expectation is printed with its column, the count and share of failing rows, the
first failing row numbers (counted from 1 after the header) and a few of the failing values.

--infer FILE proposes a \`data:\` entry from FILE (types, observed ranges widened by 10%,
categories when few, null shares, uniqueness, a pattern when every value has one shape), printed
as YAML to paste into mlops.yaml; --name sets its name (default: the file's name).

Options:
  --format text    one line per failed expectation and a summary (default)
  --format json    the whole report: {manifest, passed, errors, warnings, datasets: [{dataset,
                   files, rows, columns, results: [{column, expectation, label, severity, passed,
                   failing, checked, share, rows, file, sample, message, range}], profiles}]}
  --format github  GitHub Actions annotations on the manifest line of each failed expectation,
                   naming the data file and rows
  --infer FILE     propose expectations for FILE instead of checking
  --name N         the proposed data set's name (with --infer)

Exit codes: 0 every error-level expectation holds (warnings allowed) or no data set is declared,
1 one failed, 2 bad usage or an unreadable manifest.
`;

const FORMATS = ['text', 'json', 'github'] as const;
type Format = (typeof FORMATS)[number];

export async function validateCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'text' },
      infer: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.stdout(VALIDATE_HELP);
    return EXIT_OK;
  }
  const format = values.format as string;
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, not "${format}"`);
  if (values.name !== undefined && values.infer === undefined) throw new UsageError('--name goes with --infer FILE');
  if (values.infer !== undefined) return infer(values.infer, values.name, positionals, format as Format, out);

  if (positionals.length > 2) throw new UsageError(`unexpected argument "${positionals[2]}"`);
  // One argument is the folder when it holds a manifest, else a data set or file of ".".
  let [target, folder] = positionals;
  if (positionals.length === 1 && isManifestFolder(target)) [target, folder] = [undefined as unknown as string, target];
  const { root, manifestPath } = folderManifest(folder ?? '.');
  const tty = out.stderrIsTTY === true;
  let drawn = false;
  let report: DataValidationReport;
  try {
    report = await validateData({
      manifestPath,
      workspaceRoot: root,
      target,
      onProgress: tty
        ? (p) => {
            out.stderr(`\r\x1b[K${p.rows.toLocaleString('en-US')} rows (${Math.round(p.fraction * 100)}%)`);
            drawn = true;
          }
        : undefined,
    });
  } catch (error) {
    if (drawn) out.stderr('\n');
    // Nothing declared is nothing failed: a workflow's validate step passes on a manifest without data.
    if (error instanceof NoDatasetsError && target === undefined) {
      if (format === 'json') out.stdout(`${JSON.stringify({ manifest: manifestPath, datasets: [], passed: true, errors: 0, warnings: 0 }, null, 2)}\n`);
      else if (format === 'text') out.stdout(`${error.message}.\n`);
      return EXIT_OK;
    }
    if (error instanceof DataValidationError || error instanceof ValidationCancelled) {
      out.stderr(`mlops: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  if (drawn) out.stderr('\n');
  const cwd = process.cwd();
  if (format === 'json') out.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else if (format === 'github') out.stdout(githubLines(report, cwd));
  else out.stdout(textReport(report, cwd));
  return report.passed ? EXIT_OK : EXIT_FINDINGS;
}

function isManifestFolder(path: string): boolean {
  const absolute = resolve(path);
  return (statSync(absolute, { throwIfNoEntry: false })?.isDirectory() ?? false) && MANIFEST_FILE_NAMES.some((n) => existsSync(join(absolute, n)));
}

async function infer(file: string, name: string | undefined, positionals: string[], format: Format, out: Out): Promise<number> {
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const folder = positionals[0];
  const manifestPath = folder !== undefined ? folderManifest(folder).manifestPath : undefined;
  try {
    const { yaml, dataset } = await inferExpectations(file, { name, manifestPath });
    out.stdout(format === 'json' ? `${JSON.stringify(dataset, null, 2)}\n` : yaml);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof DataFileError) {
      out.stderr(`mlops: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

const count = (n: number) => n.toLocaleString('en-US');

function textReport(report: DataValidationReport, cwd: string): string {
  const lines: string[] = [];
  const manifest = displayPath(report.manifest, cwd);
  for (const d of report.datasets) {
    const files = d.files.length === 1 ? displayPath(d.files[0], cwd) : `${d.files.length} files`;
    const failed = d.results.filter((r) => !r.passed).sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
    lines.push(`${d.dataset} (${files}, ${count(d.rows)} row${d.rows === 1 ? '' : 's'}): ${d.results.length - failed.length} of ${d.results.length} expectations hold${failed.length > 0 ? `; ${plural(d.errors, 'error')}, ${plural(d.warnings, 'warning')}` : ''}`);
    for (const r of failed) lines.push(`  ${manifest}:${r.range.start.line + 1}:${r.range.start.character + 1}: ${r.severity} ${r.column !== undefined ? `${r.column} ` : ''}[${r.label}] ${r.message}`);
  }
  lines.push(report.passed ? `Data valid: ${plural(report.warnings, 'warning')}.` : `Data invalid: ${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')}.`);
  return `${lines.join('\n')}\n`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Annotations on the manifest's expectation lines; the message names the data file and its rows. */
function githubLines(report: DataValidationReport, cwd: string): string {
  const manifest = displayPath(report.manifest, cwd);
  return report.datasets
    .flatMap((d) =>
      d.results
        .filter((r) => !r.passed)
        .map((r: ExpectationResult) =>
          githubAnnotation({
            file: manifest,
            line: r.range.start.line + 1,
            column: r.range.start.character + 1,
            endLine: r.range.end.line + 1,
            endColumn: r.range.end.character + 1,
            severity: r.severity,
            code: `data-${r.expectation.replace(/_/g, '-')}`,
            message: `${d.dataset} (${displayPath(r.file ?? d.files[0] ?? '', cwd) || 'no file'}): ${r.message}`,
          }),
        ),
    )
    .join('');
}
