import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bundleProgram } from './bundle';
import { REPO } from './paths';

/** Another process holding an SQLite file's write lock (BEGIN IMMEDIATE) until released. */
export async function holdWriteLock(file: string): Promise<{ release(): Promise<void> }> {
  const program = await bundleProgram('test/helpers/sql-connection.ts', 'lock-holder');
  const child = spawn(process.execPath, [program, file], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, NODE_PATH: join(REPO, 'node_modules') } });
  const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin.write('BEGIN IMMEDIATE\n');
  assert.equal((await replies.next()).value, 'ok');
  return {
    release: async () => {
      child.stdin.write('COMMIT\n');
      assert.equal((await replies.next()).value, 'ok');
      child.stdin.end();
      await exited;
    },
  };
}
