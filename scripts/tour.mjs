// `npm run tour`: copies the README's tour screenshots from the last e2e run (test-results/e2e/) into
// docs/tour/, so the README shows what the current build looks like. Run `npm run test:e2e` first.
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const RESULTS = join('test-results', 'e2e');
/** docs/tour/<name>.png ← test-results/e2e/<scenario>/NN-<shot>.png */
const TOUR = {
  palette: ['serving', 'palette'],
  'experiments-tree': ['tracking-tree', 'experiments-tree'],
  'diagnostics-quick-fix': ['manifest-quick-fix', 'quick-fix-offered'],
  'metric-history': ['charts', 'metric-history'],
  'compare-runs': ['comparison', 'parallel-coordinates'],
  serving: ['serving', 'serving-live'],
  'ab-dashboard': ['ab-dashboard', 'ab-dashboard-live'],
  'promotion-evidence': ['promotion', 'promotion-evidence'],
  'rolled-back': ['promotion', 'rolled-back'],
  'auto-rollback': ['guard', 'auto-rolled-back'],
  'drift-report': ['drift', 'drift-report'],
  'models-health': ['drift', 'models-health-and-retrain-offer'],
};

const missing = [];
for (const [name, [scenario, shot]] of Object.entries(TOUR)) {
  const dir = join(RESULTS, scenario);
  const file = existsSync(dir) ? readdirSync(dir).find((f) => new RegExp(`^\\d+-${shot}\\.png$`).test(f)) : undefined;
  if (!file) {
    missing.push(`${scenario}/NN-${shot}.png`);
    continue;
  }
  copyFileSync(join(dir, file), join('docs', 'tour', `${name}.png`));
  console.log(`docs/tour/${name}.png ← ${join(dir, file)}`);
}
if (missing.length > 0) {
  console.error(`tour: not found (run npm run test:e2e first): ${missing.join(', ')}`);
  process.exit(1);
}
