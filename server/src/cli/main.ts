import { parseArgs } from 'node:util';
import { CheckUsageError, countBySeverity } from '../check/check';
import { checkPathWithContext } from '../check/context';
import { CHECK_FORMATS, formatReport, type CheckFormat } from '../check/format';
import { probeNativeModules, statusFromProbe } from '../runtime/natives';
import { SqliteUnavailableError } from '../sqlite';
import { modelsCommand, runsCommand } from './commands/tracking';
import { replayCommand } from './commands/replay';
import { serveCommand } from './commands/serve';
import { smokeCommand } from './commands/smoke';
import { statsCommand } from './commands/stats';
import { driftCommand } from './commands/drift';
import { monitorCommand } from './commands/monitor';
import { abCommand } from './commands/ab';
import { historyCommand, promoteCommand, rollbackCommand } from './commands/promote';
import { trainCommand } from './commands/train';
import { exportCommand } from './commands/export';
import { predictCommand } from './commands/predict';
import { validateCommand } from './commands/validate';
import { retrainCommand } from './commands/retrain';
import { CHECK_HELP, DOCTOR_HELP, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, MAIN_HELP, UsageError, type Out } from './usage';

declare const MLOPS_VERSION: string;

const COMMANDS: Record<string, (args: string[], out: Out) => number | Promise<number>> = {
  check,
  doctor,
  runs: runsCommand,
  models: modelsCommand,
  train: trainCommand,
  serve: serveCommand,
  smoke: smokeCommand,
  stats: statsCommand,
  ab: abCommand,
  promote: promoteCommand,
  rollback: rollbackCommand,
  history: historyCommand,
  replay: replayCommand,
  drift: driftCommand,
  monitor: monitorCommand,
  export: exportCommand,
  predict: predictCommand,
  validate: validateCommand,
  retrain: retrainCommand,
};

/** Run the CLI; resolves to the exit code. Output goes through `out` so tests and callers can capture it. */
export async function runCli(argv: string[], out: Out): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      out.stdout(MAIN_HELP);
      return command === undefined ? EXIT_USAGE : EXIT_OK;
    }
    if (command === '-v' || command === '--version') {
      out.stdout(`${typeof MLOPS_VERSION === 'string' ? MLOPS_VERSION : 'dev'}\n`);
      return EXIT_OK;
    }
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command "${command}"`);
    return await run(rest, out);
  } catch (error) {
    if (error instanceof UsageError || error instanceof CheckUsageError || isParseArgsError(error)) {
      out.stderr(`mlops: ${(error as Error).message}\nRun "mlops --help" for usage.\n`);
      return EXIT_USAGE;
    }
    // No SQLite driver on this Node: one line that says what to install, not a stack.
    if (error instanceof SqliteUnavailableError) {
      out.stderr(`mlops: ${command} needs SQLite: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

async function check(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: 'string', default: 'text' }, 'no-data': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    out.stdout(CHECK_HELP);
    return EXIT_OK;
  }
  const format = values.format as string;
  if (!(CHECK_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${CHECK_FORMATS.join(', ')}, not "${format}"`);
  }
  if (positionals.length > 1) throw new UsageError('check takes at most one path');
  const report = await checkPathWithContext(positionals[0] ?? '.', (note) => out.stderr(`mlops: ${note}\n`), { data: !values['no-data'] });
  out.stdout(formatReport(report, format as CheckFormat, process.cwd()));
  return countBySeverity(report.files).errors > 0 ? EXIT_FINDINGS : EXIT_OK;
}

function doctor(args: string[], out: Out): number {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    out.stdout(DOCTOR_HELP);
    return EXIT_OK;
  }
  const status = statusFromProbe(probeNativeModules());
  if (values.json) {
    out.stdout(JSON.stringify(status, null, 2) + '\n');
  } else {
    const lines = [`Node ${status.nodeVersion} (${status.nodePath}), found by: ${status.runtimeOrigin}`];
    for (const n of status.natives) lines.push(n.ok ? `  ok    ${n.name} ${n.version}` : `  FAIL  ${n.name}: ${n.error}`);
    const sqlite = status.sqlite;
    if (sqlite.driver) {
      const skipped = sqlite.tried.filter((t) => !t.ok).map((t) => `${t.driver} (${t.error})`);
      lines.push(`SQLite driver: ${sqlite.driver}${sqlite.forced ? ' (MLOPS_SQLITE_DRIVER)' : ''}${skipped.length > 0 ? `; not used: ${skipped.join('; ')}` : ''}`);
    }
    if (status.remedy) lines.push('', status.remedy);
    out.stdout(lines.join('\n') + '\n');
  }
  return status.state === 'running' ? EXIT_OK : EXIT_FINDINGS;
}

if (require.main === module) {
  // exitCode rather than exit(), so piped output is never cut.
  void runCli(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  }).then((code) => (process.exitCode = code));
}
