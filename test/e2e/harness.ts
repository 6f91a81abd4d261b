// End-to-end harness: runs the packaged extension in code-server (VS Code in the browser) and drives
// it through Debian's Chromium with playwright-core. See scripts/e2e-setup.sh for the installation.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';

export const ROOT = findRepoRoot(__dirname);
export const RESULTS_DIR = path.join(ROOT, 'test-results', 'e2e');
const CODE_SERVER = path.join(ROOT, '.e2e', 'code-server', 'node_modules', '.bin', 'code-server');
const CHROMIUM = '/usr/bin/chromium';

const START_TIMEOUT_MS = 30_000;
const UI_TIMEOUT_MS = 20_000;
/** How long a key that opens the quick input gets before it is pressed again. */
const QUICK_INPUT_MS = 3_000;
const STOP_TIMEOUT_MS = 10_000;

// Settings that keep welcome pages, update checks and telemetry out of the screenshots.
const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  // Test workspaces live inside this repository; don't offer to open it.
  'git.openRepositoryInParentFolders': 'never',
};

export interface WorkbenchOptions {
  /** Names the run folder test-results/e2e/<name>/. */
  name: string;
  /** Folder opened in the workbench. */
  workspace: string;
  /** Extension package installed before start. */
  vsix: string;
  /** Keep VS Code's workspace trust on (the folder starts untrusted and VS Code asks). */
  trust?: boolean;
  /** User settings merged over the quiet defaults. */
  settings?: Record<string, unknown>;
  /** Run folder; test-results/e2e/<name>/ when absent. */
  runDir?: string;
  /** Port to listen on; a free one when absent. */
  port?: number;
}

export interface Workbench {
  readonly page: Page;
  readonly runDir: string;
  readonly url: string;
  /** Saves test-results/e2e/<name>/NN-<label>.png and returns its path. */
  shot(label: string): Promise<string>;
  /** Runs a command palette entry by its full title, e.g. "MLOps: Show Dashboard". */
  runCommand(title: string): Promise<void>;
  /** Opens a workspace file through Quick Open and waits for its editor tab. */
  openFile(relativePath: string): Promise<void>;
  /** Moves the active editor's cursor to a 1-based line (Go to Line), so the line and its code lenses are drawn. */
  goToLine(line: number): Promise<void>;
  /** Waits until an element matched by `target` contains `text`. */
  waitForText(target: Locator | string, text: string | RegExp, timeoutMs?: number): Promise<Locator>;
  /** The activity bar entry whose aria-label starts with `labelPrefix`. */
  activityBarEntry(labelPrefix: string): Locator;
  /** The badge (count) on that activity bar entry. */
  activityBarBadge(labelPrefix: string): Locator;
  /** Focuses the Problems panel and returns its rows. */
  openProblems(): Promise<Locator>;
  /** The text of every row currently in the Problems panel. */
  problemTexts(): Promise<string[]>;
  /** The status bar item with exactly this accessibility label. */
  statusBarItem(ariaLabel: string | RegExp): Locator;
  /** The content frame of the most recently created webview. */
  webviewFrame(): FrameLocator;
  /** Waits until the most recent webview's own document has the keyboard focus. */
  waitForWebviewFocus(timeoutMs?: number): Promise<void>;
  /** Says that an action is being tried again (in the test log and the run folder's retries.log). */
  noteRetry(what: string, attempt: number, reason: unknown): void;
  /** Stops Chromium and code-server and copies VS Code's logs into the run folder. */
  close(): Promise<void>;
}

/** A running code-server with the extension installed, serving `opts.workspace`. */
export interface Server {
  readonly url: string;
  readonly runDir: string;
  /** Settles with code-server's exit code when it ends, whoever stopped it. */
  readonly exited: Promise<number | null>;
  /** Stops code-server and everything it started, and copies VS Code's logs into the run folder. */
  stop(): Promise<void>;
}

/** Starts code-server with the extension installed; open `url` in a browser to use it. */
export async function startServer(opts: WorkbenchOptions): Promise<Server> {
  const run = prepareRunDir(opts);
  await installExtension(run, opts.vsix);
  markTime(run.dir, 'extension installed');
  const port = opts.port ?? (await freePort());
  const child = startCodeServer(run, port, opts.trust === true);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async () => {
    await stopProcessGroup(child);
    copyLogs(run);
    markTime(run.dir, 'stopped');
  };
  try {
    await waitForHealth(child, port);
  } catch (err) {
    await stop();
    throw err;
  }
  markTime(run.dir, 'code-server healthy');
  // Slashes stay readable; everything else that could break the query is escaped.
  const folder = encodeURIComponent(opts.workspace).replace(/%2F/g, '/');
  const url = `http://127.0.0.1:${port}/?folder=${folder}`;
  return { url, runDir: run.dir, exited, stop };
}

/** Starts code-server with the extension installed and opens `opts.workspace` in Chromium. */
export async function startWorkbench(opts: WorkbenchOptions): Promise<Workbench> {
  const server = await startServer(opts);
  let browser: BrowserContext | undefined;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    await server.stop();
  };
  try {
    browser = await launchChromium(server.runDir);
    await browser.addInitScript({ content: WITHOUT_CODE_SERVER_WORKER });
    const page = browser.pages()[0] ?? (await browser.newPage());
    recordConsole(page, server.runDir);
    await page.goto(server.url, { timeout: START_TIMEOUT_MS });
    await page.locator('.monaco-workbench').waitFor({ timeout: START_TIMEOUT_MS });
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    markTime(server.runDir, 'workbench shown');
    return createWorkbench(page, server, close);
  } catch (err) {
    const page = browser?.pages()[0];
    if (page) await saveFailure(page, server.runDir, err);
    await close();
    throw err;
  }
}

/**
 * Runs `fn` against a fresh workbench. On failure keeps a FAILED-*.png screenshot, the error and the
 * logs in the run folder; always stops the workbench; rethrows the error.
 */
export async function withWorkbench(
  t: TestContext,
  opts: WorkbenchOptions,
  fn: (wb: Workbench) => Promise<void>,
): Promise<void> {
  t.diagnostic(`artifacts: ${path.relative(ROOT, runDirOf(opts))}`);
  const wb = await startWorkbench(opts);
  try {
    await fn(wb);
  } catch (err) {
    await saveFailure(wb.page, wb.runDir, err);
    // The CI log shows only the error: say what the window looked like when it failed.
    if (err instanceof Error) err.message += `\n${await describeWindow(wb.page)}`;
    throw err;
  } finally {
    await wb.close();
  }
  const retries = path.join(wb.runDir, 'retries.log');
  if (fs.existsSync(retries)) t.diagnostic(`retried:\n${fs.readFileSync(retries, 'utf8').trimEnd()}`);
  // A scenario that did what it should still fails on an error nobody would see on screen.
  const problems = [...cspViolations(wb.runDir), ...chartWarnings(wb.runDir), ...unexplainedErrors(wb.runDir)];
  if (problems.length > 0) {
    const message = `${problems.length} problem(s) in the logs of ${path.relative(ROOT, wb.runDir)}:\n${problems.join('\n')}`;
    fs.writeFileSync(path.join(wb.runDir, 'FAILED.txt'), `${message}\n`);
    throw new Error(message);
  }
  dropCopies(wb.runDir);
}

/**
 * `[error]` lines of the extension host that are not ours and that a scenario cannot avoid. Each
 * entry says why it is allowed; anything else fails the scenario.
 */
export const ALLOWED_HOST_ERRORS: { pattern: RegExp; why: string }[] = [
  {
    // Matched against the line and its stack: a reset with node's own frames only.
    pattern: /\[error\] Error: read ECONNRESET\n\s+at TCP\.onStreamRead \(node:internal\/stream_base_commons[^\n]*$/,
    why:
      'The extension opens no socket in the extension host (client/src imports neither net nor http). A remote extension host talks to the ' +
      "workbench over the browser's connection, handed to it as a TCP socket; when the page reloads (answering the trust prompt) or " +
      'closes, that socket is reset and VS Code logs the read error with only node frames.',
  },
];

/** Lines of the run's browser console that match, each labelled. */
function consoleProblems(runDir: string, pattern: RegExp, label: string): string[] {
  const file = path.join(runDir, 'browser-console.log');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => pattern.test(line))
    .map((line) => `${label}: ${line.slice(0, 400)}`);
}

/** Every CSP violation a webview reported to the browser console. */
export function cspViolations(runDir: string): string[] {
  return consoleProblems(runDir, /Content Security Policy/i, 'CSP violation');
}

/** Warnings Vega logged while drawing a chart ("WARN Infinite extent…": a layer with nothing to draw). */
export function chartWarnings(runDir: string): string[] {
  return consoleProblems(runDir, /^\[warning\] WARN (?!color:)/, 'chart warning');
}

/** `[error]` lines of the extension host log not on ALLOWED_HOST_ERRORS. */
export function unexplainedErrors(runDir: string): string[] {
  const logs = path.join(runDir, 'logs');
  if (!fs.existsSync(logs)) return [];
  const files = (fs.readdirSync(logs, { recursive: true }) as string[]).filter((f) => /(^|[\\/])(remote)?exthost\.log$/.test(f));
  const found: string[] = [];
  for (const f of files) {
    const lines = fs.readFileSync(path.join(logs, f), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (!/\[error\]/.test(line)) return;
      // The entry is the line and the stack below it.
      let end = i + 1;
      while (end < lines.length && /^\s+at /.test(lines[end])) end++;
      const entry = lines.slice(i, end).join('\n');
      if (ALLOWED_HOST_ERRORS.some((a) => a.pattern.test(entry))) return;
      found.push(`extension host [error] in ${f}: ${entry.slice(0, 600)}`);
    });
  }
  return found;
}

/**
 * After a passing scenario only the screenshots and logs are worth keeping: the installed extension
 * (about 56 MB), the Chromium profile and code-server's state are dropped.
 */
function dropCopies(runDir: string): void {
  for (const name of ['extensions', 'chromium-profile', 'user-data', 'xdg', 'tmp']) {
    fs.rmSync(path.join(runDir, name), { recursive: true, force: true });
  }
}

/** Copies an example workspace into test-results/e2e/workspaces/<name>/ so a test may write to it. */
export function copyWorkspace(source: string, name: string): string {
  const target = path.join(RESULTS_DIR, 'workspaces', name);
  fs.rmSync(target, { recursive: true, force: true });
  // The extension's own store (.mlops/) is state from earlier runs, not part of the example.
  fs.cpSync(source, target, { recursive: true, filter: (src) => path.basename(src) !== '.mlops' });
  return target;
}

// ---------------------------------------------------------------------------------------------------
// Workbench driving

function createWorkbench(page: Page, server: Server, close: () => Promise<void>): Workbench {
  let shots = 0;
  const quickInput = page.locator('.quick-input-widget');
  const quickInputBox = quickInput.locator('input.input');

  /**
   * A key typed while a webview has the focus reaches the workbench through the webview's message
   * channel, and can be lost while the webview redraws: press it again until the quick input shows.
   */
  async function openQuickInput(key: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press(key);
      try {
        await quickInputBox.waitFor({ timeout: QUICK_INPUT_MS });
        return;
      } catch (err) {
        if (attempt === 3) throw err;
        wb.noteRetry(`${key} to open the quick input`, attempt, `no quick input within ${QUICK_INPUT_MS} ms`);
      }
    }
  }

  /**
   * Opens the quick input with `key`, types `query` and picks the row named `rowName`. A panel
   * that comes forward meanwhile takes the focus and closes the quick input: it is opened again.
   */
  async function pickQuickInput(key: string, query: string, rowName: RegExp): Promise<void> {
    // Enter acts on the focused row, so wait until the wanted entry is the focused one.
    const row = quickInput.getByRole('option', { name: rowName }).and(page.locator('.focused')).first();
    for (let attempt = 1; ; attempt++) {
      await openQuickInput(key);
      // Typing is not raced against the close: a fill left waiting could type into a later quick input.
      const typed = await quickInputBox.fill(query, { timeout: QUICK_INPUT_MS }).then(
        () => true,
        async (err: unknown) => {
          if (await quickInput.isVisible()) throw err;
          return false;
        },
      );
      const outcome = typed
        ? await Promise.race([
            row.waitFor().then(() => 'picked' as const),
            quickInput.waitFor({ state: 'hidden' }).then(() => 'closed' as const),
          ]).catch((err: unknown) => err)
        : 'closed';
      if (outcome === 'picked') break;
      if (outcome !== 'closed' || attempt === 3) throw outcome === 'closed' ? new Error(`the quick input kept closing before ${String(rowName)} could be picked`) : outcome;
      wb.noteRetry(`picking ${String(rowName)} with ${key}`, attempt, 'the quick input closed first');
    }
    await quickInputBox.press('Enter');
    // Taken once the quick input closes, or once it shows something else: a command that asks for
    // input (showInputBox) reuses the widget, and can do so before a closed state is ever seen.
    await pollUntil(`the quick input to take ${String(rowName)}`, UI_TIMEOUT_MS, async () => {
      if (!(await quickInput.isVisible())) return true;
      return (await quickInputBox.inputValue().catch(() => query)) !== query;
    });
  }

  const wb: Workbench = {
    page,
    runDir: server.runDir,
    url: server.url,
    async shot(label) {
      shots += 1;
      const file = path.join(server.runDir, `${String(shots).padStart(2, '0')}-${slug(label)}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    async runCommand(title) {
      // A row's accessible name is the title, sometimes followed by ", recently used" and the like.
      await pickQuickInput('F1', `>${title}`, new RegExp(`^${escapeRegExp(title)}(,|$)`));
    },
    async openFile(relativePath) {
      const fileName = path.basename(relativePath);
      await pickQuickInput('Control+P', relativePath, new RegExp(`^${escapeRegExp(fileName)}\\b`));
      await page.locator(`.tabs-container .tab.active[aria-label^="${cssString(fileName)}"]`).waitFor();
    },
    async goToLine(line) {
      await openQuickInput('Control+G');
      await quickInputBox.fill(`:${line}`, { timeout: QUICK_INPUT_MS });
      await quickInputBox.press('Enter');
      await quickInput.waitFor({ state: 'hidden' });
      await waitForText(page.locator('.statusbar-item', { hasText: /^Ln \d+, Col \d+/ }).first(), new RegExp(`^Ln ${line},`), UI_TIMEOUT_MS);
    },
    noteRetry(what, attempt, reason) {
      const text = reason instanceof Error ? firstLine(reason.message) : String(reason);
      const line = `retry ${attempt + 1} of ${what}: attempt ${attempt} failed (${text})`;
      fs.appendFileSync(path.join(server.runDir, 'retries.log'), `${new Date().toISOString()} ${line}\n`);
      process.stderr.write(`[e2e ${path.basename(server.runDir)}] ${line}\n`);
    },
    waitForText(target, text, timeoutMs = UI_TIMEOUT_MS) {
      const locator = typeof target === 'string' ? page.locator(target) : target;
      return waitForText(locator, text, timeoutMs);
    },
    activityBarEntry(labelPrefix) {
      // The whole item: a badge on it (which repeats the label) covers the icon and takes the click.
      return page.locator('.part.activitybar .action-item', { has: page.locator(`a.action-label[aria-label^="${cssString(labelPrefix)}"]`) }).first();
    },
    activityBarBadge(labelPrefix) {
      return wb.activityBarEntry(labelPrefix).locator('.badge-content').first();
    },
    async openProblems() {
      await wb.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
      await page.locator('.markers-panel').waitFor();
      return page.locator('.markers-panel .monaco-list-row');
    },
    async problemTexts() {
      // The visible text carries source and code; the aria-label does not. One line per row.
      const texts = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
      return texts.map((text) => text.replace(/\s+/g, ' ').trim());
    },
    statusBarItem(ariaLabel) {
      const items = page.locator('.part.statusbar .statusbar-item');
      const label =
        typeof ariaLabel === 'string'
          ? page.locator(`[aria-label="${cssString(ariaLabel)}"]`)
          : page.getByLabel(ariaLabel);
      return items.and(label).first();
    },
    webviewFrame() {
      // The visible one: a hidden panel's iframe stays in the DOM (VS Code keeps it for when the tab comes back).
      return page.locator('iframe.webview:visible').last().contentFrame().locator('iframe#active-frame').contentFrame();
    },
    async waitForWebviewFocus(timeoutMs = UI_TIMEOUT_MS) {
      const body = wb.webviewFrame().locator('body');
      await pollUntil('the webview to have the focus', timeoutMs, () => body.evaluate((element) => element.ownerDocument.hasFocus()).catch(() => false));
    },
    close,
  };
  return wb;
}

async function waitForText(locator: Locator, text: string | RegExp, timeoutMs: number): Promise<Locator> {
  const match = locator.filter({ hasText: text }).first();
  try {
    await match.waitFor({ state: 'visible', timeout: timeoutMs });
    return match;
  } catch (err) {
    const seen = await locator.allTextContents().catch(() => []);
    throw new Error(
      `Timed out after ${timeoutMs} ms waiting for ${String(text)} in ${String(locator)}; ` +
        `saw: ${JSON.stringify(seen.slice(0, 10))}`,
      { cause: err },
    );
  }
}

/**
 * code-server registers its own service worker (for installing it as an app) at the root scope,
 * while each webview registers VS Code's worker for its frames and waits for it to take control; with
 * two workers claiming the same frames a webview can stay blank. The app worker is not part of VS Code
 * and nothing here needs it, so the tests keep it out.
 */
const WITHOUT_CODE_SERVER_WORKER = `(() => {
  const workers = navigator.serviceWorker;
  if (!workers) return;
  const register = workers.register.bind(workers);
  workers.register = (url, options) =>
    String(url).includes('/_static/out/browser/serviceWorker.js')
      ? Promise.reject(new Error('code-server app worker left out by the e2e harness'))
      : register(url, options);
})();`;

/** The tabs, webview frames, open quick input and notifications, in one line for the CI log. */
async function describeWindow(page: Page): Promise<string> {
  const texts = async (selector: string) =>
    (await page.locator(selector).allInnerTexts().catch(() => [] as string[])).map((t) => t.replace(/\s+/g, ' ').trim().slice(0, 160));
  const quickInput = page.locator('.quick-input-widget');
  const quick = (await quickInput.isVisible().catch(() => false)) ? (await texts('.quick-input-widget'))[0] ?? '' : 'closed';
  const webviews = await page.locator('iframe.webview').count().catch(() => -1);
  return [
    `window: tabs ${JSON.stringify(await texts('.tabs-container .tab'))}`,
    `webview frames ${webviews}`,
    `quick input ${JSON.stringify(quick)}`,
    `notifications ${JSON.stringify(await texts('.notification-toast'))}`,
  ].join('; ');
}

async function saveFailure(page: Page, dir: string, err: unknown): Promise<void> {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  fs.writeFileSync(path.join(dir, 'FAILED.txt'), `${message}\n`);
  const name = `FAILED-${slug(firstLine(message)).slice(0, 60)}.png`;
  await page.screenshot({ path: path.join(dir, name) }).catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------------
// Processes

interface RunDir {
  dir: string;
  userDataDir: string;
  extensionsDir: string;
  config: string;
  serverLog: string;
  env: NodeJS.ProcessEnv;
}

function runDirOf(opts: WorkbenchOptions): string {
  return opts.runDir ?? path.join(RESULTS_DIR, slug(opts.name));
}

function prepareRunDir(opts: WorkbenchOptions): RunDir {
  const dir = runDirOf(opts);
  fs.rmSync(dir, { recursive: true, force: true });
  runStarts.set(dir, Date.now());
  const run: RunDir = {
    dir,
    userDataDir: path.join(dir, 'user-data'),
    extensionsDir: path.join(dir, 'extensions'),
    config: path.join(dir, 'config.yaml'),
    serverLog: path.join(dir, 'code-server.log'),
    env: isolatedEnv(dir),
  };
  fs.mkdirSync(path.join(run.userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(run.extensionsDir, { recursive: true });
  // bind-addr is given on the command line; the file exists so code-server never writes one in $HOME.
  fs.writeFileSync(run.config, 'auth: none\ncert: false\n');
  const settings = { ...QUIET_SETTINGS, ...opts.settings };
  fs.writeFileSync(path.join(run.userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  return run;
}

// code-server keeps its own logs and state under XDG folders; keep them inside the run folder.
function isolatedEnv(dir: string): NodeJS.ProcessEnv {
  const xdg = path.join(dir, 'xdg');
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp, { recursive: true });
  return {
    ...process.env,
    XDG_CONFIG_HOME: path.join(xdg, 'config'),
    XDG_DATA_HOME: path.join(xdg, 'data'),
    XDG_CACHE_HOME: path.join(xdg, 'cache'),
    TMPDIR: tmp,
  };
}

function commonArgs(run: RunDir): string[] {
  return ['--config', run.config, '--user-data-dir', run.userDataDir, '--extensions-dir', run.extensionsDir];
}

async function installExtension(run: RunDir, vsix: string): Promise<void> {
  if (!fs.existsSync(CODE_SERVER)) throw new Error(`code-server missing; run: bash scripts/e2e-setup.sh`);
  if (!fs.existsSync(vsix)) throw new Error(`extension package missing: ${vsix} (run: npm run package)`);
  const log = path.join(run.dir, 'install-extension.log');
  const out = fs.openSync(log, 'w');
  const child = spawn(CODE_SERVER, [...commonArgs(run), '--install-extension', vsix], {
    env: run.env,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const code = await waitForExit(child, START_TIMEOUT_MS);
  if (code !== 0) {
    throw new Error(`installing ${vsix} failed (exit ${code}):\n${fs.readFileSync(log, 'utf8')}`);
  }
}

function startCodeServer(run: RunDir, port: number, trust: boolean): ChildProcess {
  const args = [
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    ...(trust ? [] : ['--disable-workspace-trust']),
    ...commonArgs(run),
  ];
  const out = fs.openSync(run.serverLog, 'w');
  // Own process group, so stopping it also stops the extension host and the language server.
  const child = spawn(CODE_SERVER, args, { env: run.env, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  return child;
}

async function waitForHealth(server: ChildProcess, port: number): Promise<void> {
  await pollUntil(`code-server /healthz on port ${port}`, START_TIMEOUT_MS, async () => {
    if (server.exitCode !== null) throw new Error(`code-server exited with ${server.exitCode}`);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    return res?.ok === true;
  });
}

function launchChromium(runDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(path.join(runDir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    timeout: START_TIMEOUT_MS,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

function recordConsole(page: Page, runDir: string): void {
  const log = fs.createWriteStream(path.join(runDir, 'browser-console.log'));
  page.on('console', (msg) => log.write(`[${msg.type()}] ${msg.text()}\n`));
  page.on('pageerror', (err) => log.write(`[pageerror] ${err.stack ?? err.message}\n`));
  page.on('close', () => log.end());
}

async function stopProcessGroup(child: ChildProcess): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined) return;
  signalGroup(pgid, 'SIGTERM');
  const gone = await pollUntil('code-server to stop', STOP_TIMEOUT_MS, async () => !groupAlive(pgid)).then(
    () => true,
    () => false,
  );
  if (!gone) {
    signalGroup(pgid, 'SIGKILL');
    await pollUntil('code-server to be killed', STOP_TIMEOUT_MS, async () => !groupAlive(pgid));
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const runStarts = new Map<string, number>();

/** Appends "<label>: <seconds since the run began>" to timings.txt, to show where a slow run spends time. */
function markTime(runDir: string, label: string): void {
  const seconds = (Date.now() - (runStarts.get(runDir) ?? Date.now())) / 1000;
  fs.appendFileSync(path.join(runDir, 'timings.txt'), `${label}: ${seconds.toFixed(1)} s\n`);
}

/** Copies VS Code's log folder (extension host, output channels, server) into <run>/logs. */
function copyLogs(run: RunDir): void {
  const source = path.join(run.userDataDir, 'logs');
  if (fs.existsSync(source)) fs.cpSync(source, path.join(run.dir, 'logs'), { recursive: true });
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not finish within ${timeoutMs} ms: ${child.spawnargs.join(' ')}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Re-checks `condition` every 100 ms until it holds; fails after `timeoutMs`. */
async function pollUntil(what: string, timeoutMs: number, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ---------------------------------------------------------------------------------------------------
// Small helpers

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'scripts', 'e2e-setup.sh'))) {
      return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`repository root not found above ${start}`);
  }
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'shot';
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function cssString(text: string): string {
  return text.replace(/["\\]/g, '\\$&');
}
