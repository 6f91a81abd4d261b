import { spawn } from 'node:child_process';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { RuntimeOrigin, ServerStatus } from '../../server/src/contract';

/** A runtime that may run the server: a Node executable, or the editor's own runtime acting as Node. */
export interface RuntimeCandidate {
  path: string;
  origin: Exclude<RuntimeOrigin, 'command line'>;
  env: Record<string, string>;
  execArgv: string[];
}

export type ProbeResult = { candidate: RuntimeCandidate; status: ServerStatus } | { candidate: RuntimeCandidate; failure: string };

/** Ample for a cold start of onnxruntime-node on a slow disk; a runtime that takes longer is skipped. */
const PROBE_TIMEOUT_MS = 30_000;
/** The server sets its status's `runtimeOrigin` from this. */
const ORIGIN_ENV = 'MLOPS_RUNTIME_ORIGIN';

/**
 * Where the server may run, in order: the `mlops.server.runtime` setting, `node` on PATH, the
 * editor's own runtime (Electron in desktop VS Code, run as Node). Electron builds of Node 22
 * before 22.13 keep node:sqlite behind a flag, so the editor's runtime is tried with it too.
 */
export function runtimeCandidates(setting: string, envPath = process.env.PATH ?? ''): { candidates: RuntimeCandidate[]; problems: string[] } {
  const candidates: RuntimeCandidate[] = [];
  const problems: string[] = [];
  if (setting) {
    if (isExecutable(setting)) candidates.push({ path: setting, origin: 'setting', env: {}, execArgv: [] });
    else problems.push(`"mlops.server.runtime" is set to ${setting}, which is not an executable file.`);
  }
  const onPath = findOnPath(envPath);
  if (onPath && !candidates.some((c) => sameFile(c.path, onPath))) candidates.push({ path: onPath, origin: 'PATH', env: {}, execArgv: [] });
  if (!candidates.some((c) => sameFile(c.path, process.execPath))) {
    const editor = { path: process.execPath, origin: 'editor' as const, env: { ELECTRON_RUN_AS_NODE: '1' } };
    candidates.push({ ...editor, execArgv: [] });
    if (process.versions.electron) candidates.push({ ...editor, execArgv: ['--experimental-sqlite'] });
  }
  return { candidates, problems };
}

/** Environment and arguments that run the server (or its probe) on a candidate. */
export function launchOf(candidate: RuntimeCandidate): { env: Record<string, string>; execArgv: string[] } {
  return { env: { ...candidate.env, [ORIGIN_ENV]: candidate.origin }, execArgv: candidate.execArgv };
}

/**
 * Ask the candidate, with the server's own code (`mlops doctor --json`), what works on it: its
 * version, the SQLite driver that loads, onnxruntime-node.
 */
export function probeRuntime(candidate: RuntimeCandidate, cliModule: string, baseEnv: NodeJS.ProcessEnv = process.env): Promise<ProbeResult> {
  const { env, execArgv } = launchOf(candidate);
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(candidate.path, [...execArgv, cliModule, 'doctor', '--json'], { env: { ...baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const timer = setTimeout(() => child.kill(), PROBE_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ candidate, failure: `cannot be started: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        resolve({ candidate, status: JSON.parse(stdout) as ServerStatus });
      } catch {
        const said = (stderr.trim().split('\n')[0] || stdout.trim().split('\n')[0] || '').slice(0, 300);
        resolve({ candidate, failure: `${signal ? `was stopped (${signal})` : `exited with code ${code}`}${said ? `: ${said}` : ''}` });
      }
    });
  });
}

/**
 * The first candidate on which everything works. When none does, the one that got furthest (it
 * answered, so the server starts degraded there and says why), else the first.
 */
export async function chooseRuntime(
  candidates: RuntimeCandidate[],
  probe: (candidate: RuntimeCandidate) => Promise<ProbeResult>,
  skipped: (candidate: RuntimeCandidate, reason: string) => void,
): Promise<{ candidate: RuntimeCandidate; status?: ServerStatus } | undefined> {
  let fallback: { candidate: RuntimeCandidate; status?: ServerStatus } | undefined;
  for (const candidate of candidates) {
    const result = await probe(candidate);
    if ('status' in result && result.status.state === 'running') return result;
    const reason = 'status' in result ? `${result.status.problem ?? result.status.state}` : result.failure;
    skipped(candidate, reason);
    if ('status' in result) fallback ??= result;
  }
  return fallback ?? (candidates[0] && { candidate: candidates[0] });
}

export function describeCandidate(c: RuntimeCandidate): string {
  return `${c.path}${c.execArgv.length > 0 ? ` ${c.execArgv.join(' ')}` : ''} (${c.origin === 'editor' ? "the editor's own runtime" : c.origin})`;
}

function findOnPath(envPath: string): string | undefined {
  const names = process.platform === 'win32' ? ['node.exe'] : ['node'];
  for (const dir of envPath.split(delimiter).filter(Boolean)) {
    for (const name of names) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return a === b;
  }
}

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
