// The A/B dashboard in code-server: real traffic with feedback through the churn example's model
// server (`mlops replay`), the dashboard opened from the experiment's code lens, drawn under the
// strict CSP (cards, interval, metric over time, verdict), refreshed by itself when more traffic
// and feedback arrive, with the sample-ratio warning when the split breaks, and operable by keyboard.
import { execFileSync, execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { openStore } from '../../server/src/store/store';
import { ROOT, copyWorkspace, withWorkbench } from './harness';

const VSIX = process.env.MLOPS_VSIX ?? path.join(ROOT, 'dist', 'mlops-workbench.vsix');
const EXAMPLE = process.env.MLOPS_EXAMPLE ?? path.join(ROOT, 'examples', 'churn');
const CLI = path.join(ROOT, 'bin', 'mlops.js');
const DRAW_MS = 30_000;

test('A/B dashboard: opened from the code lens, live as feedback arrives, warns on a sample ratio mismatch', (t) => {
  const workspace = copyWorkspace(EXAMPLE, 'ab-dashboard');
  const manifest = path.join(workspace, 'mlops.yaml');
  fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(/^ {2}port: \d+$/m, '  port: 0'));
  // 600 customers through a real model server, each answered request followed by its true label.
  execFileSync(process.execPath, [CLI, 'replay', workspace, '--rows', '600'], { stdio: 'pipe' });
  return withWorkbench(t, { name: 'ab-dashboard', workspace, vsix: VSIX }, async (wb) => {
    await wb.statusBarItem('MLOps server: running').waitFor({ timeout: 30_000 });
    await wb.openFile('mlops.yaml');
    // The experiment's line is below the first screen: bring it (and its lens) into view.
    await wb.goToLine(fs.readFileSync(manifest, 'utf8').split('\n').findIndex((l) => /^experiments:/.test(l)) + 2);
    const lens = wb.page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Analyze' }).first();
    await lens.waitFor({ timeout: 30_000 });
    await lens.click();

    const frame = wb.webviewFrame();
    await wb.waitForText(frame.locator('[data-testid="ab-dashboard"] h1'), 'Experiment v2-vs-v1', DRAW_MS);
    const control = frame.locator('[data-testid="card-control"]');
    await wb.waitForText(control, /Requests\s*\d+/, DRAW_MS);
    const requests = async () => Number((await control.locator('dd').first().textContent()) ?? 'NaN');
    const before = await requests();
    if (!(before > 300)) throw new Error(`the control card shows ${before} requests`);
    await frame.locator('[data-testid="verdict"] .badge').waitFor();
    await frame.locator('[data-testid="interval"] canvas').waitFor({ state: 'visible', timeout: DRAW_MS });
    await frame.locator('[data-testid="timeline"] canvas').waitFor({ state: 'visible', timeout: DRAW_MS });
    if (await frame.locator('[data-testid="srm-warning"]').count()) throw new Error('sticky routing keeps the split: no SRM warning expected');
    await wb.shot('ab-dashboard');

    // More traffic and feedback: the server sees the log grow and the panel follows, untouched.
    await promisify(execFile)(process.execPath, [CLI, 'replay', workspace, '--rows', '300']);
    await frame.locator('[data-testid="card-control"] dd').first().filter({ hasNotText: String(before) }).waitFor({ timeout: DRAW_MS });
    await frame.locator('[data-testid="timeline"] canvas').waitFor({ state: 'visible', timeout: DRAW_MS });
    // The panel re-renders as the replayed feedback keeps arriving: an element found can be replaced
    // before it is scrolled to, so the scroll is tried again (and logged) on a detached element.
    const scrollTo = async (selector: string) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await frame.locator(selector).scrollIntoViewIfNeeded();
        } catch (error) {
          if (attempt >= 5 || !/not attached to the DOM/.test(String(error))) throw error;
          wb.noteRetry(`scrolling to ${selector}`, attempt, error);
        }
      }
    };
    await scrollTo('[data-testid="timeline"]');
    await wb.shot('ab-dashboard-live');
    await scrollTo('[data-testid="ab-dashboard"] h1');

    // A broken assignment: 600 requests logged for the treatment alone. The banner says so.
    const db = openStore(workspace);
    const insertP = db.prepare(
      `INSERT INTO predictions (request_id, time, endpoint, model, version, protocol, outputs, latency_ms, status) VALUES (?, ?, 'churn', 'churn', '2', 'v2', '{"label":{"datatype":"INT64","shape":[1],"data":[0]}}', 3, 200)`,
    );
    const insertF = db.prepare(`INSERT INTO feedback (request_id, time, endpoint, label) VALUES (?, ?, 'churn', 0)`);
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < 600; i++) {
        insertP.run(`skewed-${i}`, now + i);
        insertF.run(`skewed-${i}`, now + i);
      }
    })();
    db.close();
    await wb.waitForText(frame.locator('[data-testid="srm-warning"]'), /Sample ratio mismatch/, DRAW_MS);
    // The verdict itself is untrusted, in words and colour — not a green "Treatment better".
    await wb.waitForText(frame.locator('[data-testid="verdict"] .badge'), /^Untrusted: sample ratio mismatch$/, DRAW_MS);
    await frame.locator('[data-testid="verdict"][data-verdict="untrusted"] .badge.warning').waitFor();
    await frame.locator('[data-testid="timeline"] canvas').waitFor({ state: 'visible', timeout: DRAW_MS });
    await wb.shot('ab-dashboard-srm');

    // Keyboard: the Refresh button and the charts take the focus; Enter on Refresh asks again.
    const refresh = frame.locator('[data-testid="refresh"]');
    await refresh.focus();
    await refresh.press('Enter');
    await frame.locator('[data-testid="srm-warning"]').waitFor();
    await frame.locator('[data-testid="timeline"]').focus();
  });
});
