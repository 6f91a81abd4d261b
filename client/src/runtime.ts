import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface ResolvedRuntime {
  /** Executable to spawn the server with. */
  path: string;
  /** Where it came from, for the status tooltip and error messages. */
  origin: 'setting' | 'PATH' | 'extension host';
  /** Extra environment; the host's own runtime is Electron in desktop VS Code and must act as Node. */
  env: Record<string, string>;
}

/**
 * The server owns native modules built for Node's ABI, so it runs on a real Node when one exists:
 * the `mlops.server.runtime` setting, else `node` on PATH, else the extension host's own runtime.
 */
export function resolveServerRuntime(setting: string, envPath = process.env.PATH ?? ''): ResolvedRuntime | { error: string } {
  if (setting) {
    return isExecutable(setting)
      ? { path: setting, origin: 'setting', env: {} }
      : { error: `"mlops.server.runtime" is set to ${setting}, which is not an executable file.` };
  }
  const names = process.platform === 'win32' ? ['node.exe'] : ['node'];
  for (const dir of envPath.split(delimiter).filter(Boolean)) {
    for (const name of names) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return { path: candidate, origin: 'PATH', env: {} };
    }
  }
  return { path: process.execPath, origin: 'extension host', env: { ELECTRON_RUN_AS_NODE: '1' } };
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
