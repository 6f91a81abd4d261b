export type Out = {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Whether stderr is a terminal: progress lines are drawn only there. */
  stderrIsTTY?: boolean;
};

/** Bad command-line usage: printed with the help hint, exit code 2. */
export class UsageError extends Error {}

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

export const MAIN_HELP = `mlops — MLOps Workbench from the command line

Usage: mlops <command> [options]

Commands:
  check [path]     Validate every mlops.yaml below a folder (default: .), or one manifest file
  runs [folder]    Index the folder's run logs and list runs (--filter, --order-by, --json)
  models [folder]  List registered models, versions, stages and aliases (--json)
  replay [folder]  Send the churn example's test customers to the served endpoint, with feedback
  predict <model>[@version] --input F --output G [folder]  Score a CSV, JSON Lines or Parquet file (batch)
  validate [dataset|file] [folder]  Check the data sets of mlops.yaml's data: against their files (--infer FILE proposes one)
  serve [folder]   Serve the folder's mlops.yaml endpoints on 127.0.0.1 (V2, V1, MLflow /invocations)
  smoke <url> [folder]  Send the model's reference rows to a deployed endpoint; compare with the local ONNX answers
  stats <test>     Statistics as scipy computes them: welch, student, ztest, chisq, srm, ks, wasserstein, psi
  ab <experiment>  Analyze an A/B experiment from the prediction and feedback log (--json, --html)
  drift            Data drift: --reference R.csv --current C.csv, or <model> over the prediction log (--window, --html)
  monitor <model>  Live quality, latency and alerts against the baseline run; drift; whether to retrain (--json)
  retrain <model>  Run the model's retrain command now, or only when due (--due: schedule, drift, degradation; --watch)
  promote <model> <version>  Check the gates, move the production alias (--alias A) or a canary step (--canary)
  rollback <model> Undo the model's latest promotion, from the audit log
  history <model>  The model's promotions and rollbacks (--json)
  export kserve|seldon [folder]  KServe InferenceService or Seldon Core v2 Model/Experiment YAML (--out DIR)
  export github-actions [folder]  The manifest's CI/CD pipeline as .github/workflows/mlops.yml (--force)
  train [folder]   Train the churn example: run logs, ONNX models, monitoring reference (--json)
  doctor           Show the Node runtime and whether the native modules load

Options:
  -h, --help       Show help (also: mlops <command> --help)
  -v, --version    Print the version

Exit codes: 0 success, 1 problems found, 2 bad usage.
`;

export const CHECK_HELP = `Usage: mlops check [path] [--format text|json|github] [--no-data]

Validates every mlops.yaml (or mlops.yml) below path (default: the current folder); path may also
be a single manifest file. Folders such as node_modules, .git and .mlops are skipped.

Beyond the schema it checks references, traffic splits and metric bounds; that every ONNX file is
inside the folder, loads in ONNX Runtime and matches the other versions it shares traffic with; and,
when the folder has run logs (indexed into .mlops/), that every run exists and every gate holds for
its version's run: a failed gate is an error (code gate-failed), so this is the CI gate. The data
sets under \`data:\` are checked against their files as \`mlops validate\` checks them: a failed
expectation is a finding on its line (codes data-type, data-max-null-share, …; warn ones warnings).
Codes and fixes: docs/diagnostics.md.

Options:
  --format text    file:line:col: severity [code] message, and a summary (default)
  --format json    [{file, line, column, endLine, endColumn, severity, code, message}], 1-based
  --format github  GitHub Actions annotations (::error file=F,line=L,col=C::message)
  --no-data        do not read the data sets' files (their declarations are still checked)

Exit codes: 0 no errors (warnings allowed), 1 errors found (including failed gates), 2 bad usage.
`;

export const DOCTOR_HELP = `Usage: mlops doctor [--json]

Prints the Node runtime in use, the SQLite driver it uses (better-sqlite3 where its binary loads,
else node:sqlite, built into Node 22.13 and newer) and whether onnxruntime-node loads on it.
--json prints the same as the editor's status: {state, nodeVersion, nodePath, runtimeOrigin,
natives, sqlite: {driver, sqliteVersion, forced, tried}, problem?, remedy?}.
Exit code 1 when no SQLite driver or onnxruntime-node does not load.
`;
