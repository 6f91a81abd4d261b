import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, parse, relative, resolve, sep } from 'node:path';

/** Links followed at most, as the OS allows (Linux's ELOOP limit). */
const MAX_LINKS = 40;

/**
 * Where a path leads once every symbolic link on the way is followed, whether or not the end of
 * it exists yet: a link to a file that is not there (yet) still points somewhere, and that place is
 * what a workspace boundary must judge. A loop resolves to the path itself.
 */
export function resolveLinks(path: string): string {
  let pending = resolve(path).split(sep).filter(Boolean);
  let done = parse(resolve(path)).root;
  let followed = 0;
  while (pending.length > 0) {
    const next = resolve(done, pending.shift()!);
    let link: string | undefined;
    try {
      link = lstatSync(next).isSymbolicLink() ? readlinkSync(next) : undefined;
    } catch {
      // Nothing there: the rest of the path is as written.
      return resolve(next, ...pending);
    }
    if (link === undefined) {
      done = next;
      continue;
    }
    if (++followed > MAX_LINKS) return resolve(path);
    const target = resolve(dirname(next), link);
    pending = [...target.split(sep).filter(Boolean), ...pending];
    done = parse(target).root;
  }
  return done;
}

/** Whether `path` is inside `root` (not the root itself). */
export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** The workspace root with its own links resolved (a workspace under /tmp → /private/tmp on macOS). */
export function realRoot(root: string): string {
  try {
    return realpathSync.native(root);
  } catch {
    return resolve(root);
  }
}
