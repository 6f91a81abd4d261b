/**
 * Batch scoring for the editor: which versions can score a file, and the job itself with progress
 * notifications and cancellation. The scoring is server/src/batch's, as `mlops predict` runs it.
 */
import { dirname, sep } from 'node:path';
import type { ScoreChoice, ScoreProgress, ScoreSummary } from '../contract';
import { defaultOutputPath, scoreFile } from '../batch/score';
import { readManifestModel } from '../manifest/model';
import { parseManifest } from '../manifest/parse';
import { scanWorkspace } from '../workspace/scan';
import { readFileSync } from 'node:fs';

export interface ScoringDeps {
  folders: () => string[];
  openText: (path: string) => string | undefined;
  progress: (job: string, progress: ScoreProgress) => void;
}

export class ScoringHost {
  constructor(private readonly deps: ScoringDeps) {}

  /** Every declared version and alias, the manifests nearest to `file` first. */
  choices(file?: string): ScoreChoice[] {
    const out: ScoreChoice[] = [];
    const manifests = this.deps.folders().flatMap((f) => scanWorkspace(f).manifests);
    const near = (m: string) => (file !== undefined && (file + sep).startsWith(dirname(m) + sep) ? dirname(m).length : -1);
    manifests.sort((a, b) => near(b) - near(a) || a.localeCompare(b));
    for (const manifest of manifests) {
      const model = readManifestModel(parseManifest(this.deps.openText(manifest) ?? readFileSync(manifest, 'utf8')));
      for (const m of model.models?.entries.values() ?? []) {
        const aliases = [...(m.aliases?.entries ?? [])].map(([a, v]) => [a, v.value] as const);
        for (const [alias, version] of aliases) {
          if (!m.versions?.entries.has(version)) continue;
          out.push({ manifest, model: m.name, ref: `${m.name}@${alias}`, version, label: `${m.name}@${alias}`, description: `version ${version}` });
        }
        for (const version of m.versions?.entries.keys() ?? []) {
          const named = aliases.filter(([, v]) => v === version).map(([a]) => a);
          out.push({ manifest, model: m.name, ref: `${m.name}@${version}`, version, label: `${m.name} version ${version}`, description: named.length > 0 ? named.join(', ') : '' });
        }
      }
    }
    return out;
  }

  score(p: { job: string; manifest: string; model: string; input: string; output?: string; onError?: 'fail' | 'skip' }, signal: AbortSignal): Promise<ScoreSummary> {
    const root = this.deps.folders().find((f) => (p.manifest + sep).startsWith(f + sep)) ?? dirname(p.manifest);
    return scoreFile({
      manifestPath: p.manifest,
      workspaceRoot: root,
      model: p.model,
      input: p.input,
      output: p.output ?? defaultOutputPath(p.input),
      onError: p.onError,
      signal,
      onProgress: (progress) => this.deps.progress(p.job, progress),
      progressEveryMs: 200,
    });
  }
}
