// `npm run studio`: the packaged extension in code-server on examples/churn, for a person to try in a
// browser. Runs until Ctrl+C. Uses the e2e harness, so it starts exactly what the e2e tests start.
//   MLOPS_VSIX     extension package (default dist/mlops-workbench.vsix)
//   MLOPS_EXAMPLE  folder to open (default examples/churn)
//   STUDIO_PORT    port to listen on (default: a free one)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const runDir = path.join(root, '.e2e', 'studio');

function setup() {
  const result = spawnSync('bash', [path.join(root, 'scripts', 'e2e-setup.sh')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('e2e setup failed; see the messages above');
}

// The harness is TypeScript; compile it next to the studio's run folder and load it.
async function loadHarness() {
  const esbuild = await import('esbuild');
  const outfile = path.join(root, '.e2e', 'harness.cjs');
  await esbuild.build({
    entryPoints: [path.join(root, 'test', 'e2e', 'harness.ts')],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return createRequire(import.meta.url)(outfile);
}

async function main() {
  setup();
  const { startServer } = await loadHarness();
  const server = await startServer({
    name: 'studio',
    runDir,
    workspace: path.resolve(process.env.MLOPS_EXAMPLE ?? path.join(root, 'examples', 'churn')),
    vsix: path.resolve(process.env.MLOPS_VSIX ?? path.join(root, 'dist', 'mlops-workbench.vsix')),
    port: process.env.STUDIO_PORT ? Number(process.env.STUDIO_PORT) : undefined,
  });
  console.log(`\nMLOps Workbench studio is running. Open in a browser:\n\n  ${server.url}\n`);
  console.log(`Logs: ${path.relative(root, runDir)}/ (code-server.log, logs/ after exit). Stop with Ctrl+C.`);

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping code-server...`);
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  const code = await server.exited;
  if (!stopping) {
    console.error(`code-server exited unexpectedly (code ${code}); see ${path.join(runDir, 'code-server.log')}`);
    await server.stop();
    process.exit(1);
  }
}

main().catch((err) => {
  console.error('[studio]', err instanceof Error ? err.message : err);
  process.exit(1);
});
