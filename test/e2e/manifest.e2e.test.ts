// Manifest editing in a real VS Code: a traffic split that sums to 90 is squiggled, the quick fix
// scales it to 100, and the squiggle goes; the manifest's code lenses and hover show up.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, copyWorkspace, withWorkbench } from './harness';

const VSIX = process.env.MLOPS_VSIX ?? path.join(ROOT, 'dist', 'mlops-workbench.vsix');
const EXAMPLE = process.env.MLOPS_EXAMPLE ?? path.join(ROOT, 'examples', 'churn');

test('quick fix: a split that sums to 90 is flagged, normalized to 100 by the quick fix, and the flag clears', (t) => {
  const workspace = copyWorkspace(EXAMPLE, 'manifest-quick-fix');
  const original = fs.readFileSync(path.join(workspace, 'mlops.yaml'), 'utf8');
  const traffic = /traffic: \{ "1": (\d+), "2": (\d+) \}/.exec(original);
  assert.ok(traffic, 'the example has a two-version split');
  const line = original.slice(0, traffic.index).split('\n').length;
  assert.ok(original.split('\n')[line - 1].trimEnd().endsWith(`"2": ${traffic[2]} }`), 'the split ends its line');
  return withWorkbench(t, { name: 'manifest-quick-fix', workspace, vsix: VSIX }, async (wb) => {
    await wb.statusBarItem('MLOps server: running').waitFor({ timeout: 30_000 });
    await wb.openFile('mlops.yaml');
    const editor = wb.page.locator('.editor-group-container .monaco-editor').first();
    await editor.locator('.view-lines').click();
    // Go to the split's line and type the second share ten lower, as a person would.
    await wb.page.keyboard.press('Control+G');
    await wb.page.locator('.quick-input-widget input.input').fill(`:${line}`);
    await wb.page.keyboard.press('Enter');
    await wb.page.keyboard.press('End');
    await wb.page.keyboard.press('ArrowLeft');
    await wb.page.keyboard.press('ArrowLeft');
    for (let i = 0; i < traffic[2].length; i++) await wb.page.keyboard.press('Backspace');
    await wb.page.keyboard.type(String(Number(traffic[2]) - 10));

    const rows = await wb.openProblems();
    await wb.waitForText(rows, /traffic-sum/);
    await wb.shot('split-sums-to-90');

    // F8 puts the cursor on the problem; Ctrl+. lists its fixes.
    await editor.locator('.view-lines').click();
    await wb.page.keyboard.press('Control+Home');
    await wb.page.keyboard.press('F8');
    await wb.page.keyboard.press('Escape');
    await wb.page.keyboard.press('Control+.');
    const fix = wb.page.locator('.action-widget .monaco-list-row', { hasText: 'Normalize traffic to 100%' });
    await fix.waitFor();
    await wb.shot('quick-fix-offered');
    // The menu's pointer shield takes clicks; the keyboard picks the row, as a person would.
    for (let i = 0; i < 10 && !/\bfocused\b/.test((await fix.getAttribute('class')) ?? ''); i++) await wb.page.keyboard.press('ArrowDown');
    await wb.page.keyboard.press('Enter');

    await rows.filter({ hasText: /traffic-sum/ }).first().waitFor({ state: 'detached' });
    const total = Number(traffic[1]) + Number(traffic[2]) - 10;
    const expected1 = Math.round((Number(traffic[1]) * 100) / total);
    await editor.locator('.view-line', { hasText: `"1": ${expected1}, "2": ${100 - expected1}` }).waitFor();
    await wb.shot('split-normalized');
  });
});

test('lenses and hover: Serve / Promote / Roll Back over the model, and the version hover', (t) =>
  withWorkbench(t, { name: 'manifest-lenses', workspace: copyWorkspace(EXAMPLE, 'manifest-lenses'), vsix: VSIX }, async (wb) => {
    await wb.statusBarItem('MLOps server: running').waitFor({ timeout: 30_000 });
    await wb.openFile('mlops.yaml');
    const editor = wb.page.locator('.editor-group-container .monaco-editor').first();
    const lenses = editor.locator('.codelens-decoration');
    await wb.waitForText(lenses.first(), /Serve/);
    const texts = await lenses.allInnerTexts();
    assert.ok(texts.some((l) => /Promote/.test(l)) && texts.some((l) => /Roll Back/.test(l)), texts.join(' | '));
    await wb.shot('code-lenses');
    const version = editor.locator('.view-line span', { hasText: '"1"' }).first();
    await version.hover();
    await wb.waitForText(wb.page.locator('.monaco-hover'), /version/);
    await wb.shot('version-hover');
  }));
