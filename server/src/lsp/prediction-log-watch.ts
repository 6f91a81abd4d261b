/**
 * Tells the client when a workspace's prediction and feedback log grows, so an open A/B dashboard
 * refreshes when new requests or feedback arrive — whoever writes the log (the model server the
 * editor runs, or `mlops serve` in a terminal). One cheap query per watched store per second.
 */
import { dirname } from 'node:path';
import { openStore, type Database } from '../store/store';

const POLL_MS = 1000;

export class PredictionLogWatch {
  private readonly watched = new Map<string, { db: Database; last: string }>();
  private timer: NodeJS.Timeout | undefined;

  /** `changed` receives the manifest whose folder's log grew. */
  constructor(private readonly changed: (manifest: string) => void) {}

  watch(manifest: string): void {
    if (this.watched.has(manifest)) return;
    const db = openStore(dirname(manifest));
    this.watched.set(manifest, { db, last: this.mark(db) });
    this.timer ??= setInterval(() => this.poll(), POLL_MS);
  }

  unwatch(manifest: string): void {
    this.watched.get(manifest)?.db.close();
    this.watched.delete(manifest);
    if (this.watched.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private poll(): void {
    for (const [manifest, w] of this.watched) {
      try {
        const now = this.mark(w.db);
        if (now === w.last) continue;
        w.last = now;
        this.changed(manifest);
      } catch {
        // A store being replaced or migrated: the next poll tries again.
      }
    }
  }

  private mark(db: Database): string {
    const row = db.prepare('SELECT (SELECT max(id) FROM predictions) AS p, (SELECT max(id) FROM feedback) AS f').get() as { p: number | null; f: number | null };
    return `${row.p ?? 0}:${row.f ?? 0}`;
  }

  dispose(): void {
    for (const manifest of [...this.watched.keys()]) this.unwatch(manifest);
  }
}
