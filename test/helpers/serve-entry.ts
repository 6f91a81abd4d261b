// A stand-alone `mlops serve` for tests that need the server in its own process (SIGKILL, restarts).
import { serveCommand } from '../../server/src/cli/commands/serve';

void serveCommand(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
}).then((code) => (process.exitCode = code));
