/**
 * The data sets' files checked against their expectations in the background, for the Problems
 * panel: when a manifest is opened or saved, and when a data file changes. What the checks find
 * sits on the expectations' lines of the saved manifest until the next run. Large data sets are
 * left to `mlops validate` (a note says so), so the editor never reads gigabytes on its own.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import type { DataPanelData, Finding } from '../contract';
import { scanWorkspace } from '../workspace/scan';
import { datasetsOf, datasetFiles, reportFindings, validateData, DataValidationError } from '../validation';
import { readManifestModel } from '../manifest/model';
import { parseManifest } from '../manifest/parse';

/** Above this many bytes of data files a manifest's data is not read by the editor. */
export const EDITOR_DATA_LIMIT_BYTES = 200 * 1024 * 1024;

export class DataDiagnostics {
  private readonly findings = new Map<string, Finding[]>();
  private readonly running = new Map<string, Promise<void>>();
  /** The saved text to check once the run in progress ends (the newest save). */
  private readonly again = new Map<string, string>();

  constructor(
    private readonly republish: (manifestPath: string) => void,
    private readonly log: (message: string) => void,
  ) {}

  /** The last findings for a manifest (none before its first run). */
  of(manifestPath: string): Finding[] {
    return this.findings.get(manifestPath) ?? [];
  }

  forget(manifestPath: string): void {
    this.findings.delete(manifestPath);
  }

  /** Check the saved manifest's data sets; one run at a time per manifest, the last request wins. */
  check(manifestPath: string, workspaceRoot: string, savedText: string): Promise<void> {
    if (this.running.has(manifestPath)) {
      this.again.set(manifestPath, savedText);
      return this.running.get(manifestPath)!;
    }
    const run = this.run(manifestPath, workspaceRoot, savedText).finally(() => {
      this.running.delete(manifestPath);
      const next = this.again.get(manifestPath);
      if (next !== undefined) {
        this.again.delete(manifestPath);
        void this.check(manifestPath, workspaceRoot, next);
      }
    });
    this.running.set(manifestPath, run);
    return run;
  }

  private async run(manifestPath: string, workspaceRoot: string, text: string): Promise<void> {
    const datasets = datasetsOf(readManifestModel(parseManifest(text)));
    if (datasets.length === 0) {
      if (this.findings.delete(manifestPath)) this.republish(manifestPath);
      return;
    }
    let bytes = 0;
    for (const d of datasets) for (const f of datasetFiles(d.spec, manifestPath, workspaceRoot)) bytes += statSync(f, { throwIfNoEntry: false })?.size ?? 0;
    let findings: Finding[];
    if (bytes > EDITOR_DATA_LIMIT_BYTES) {
      const anchor = datasets[0].decl.keyRange;
      findings = [{ range: anchor, severity: 'information', code: 'data-not-read', message: `The data sets' files hold ${Math.round(bytes / 1024 / 1024)} MB, more than the editor reads by itself; run mlops validate (or MLOps: Validate Data) to check them.` }];
    } else {
      try {
        findings = reportFindings(await validateData({ manifestPath, workspaceRoot }));
      } catch (error) {
        if (!(error instanceof DataValidationError)) this.log(`data validation of ${manifestPath} failed: ${error instanceof Error ? error.stack : String(error)}`);
        findings = [];
      }
    }
    this.findings.set(manifestPath, findings);
    this.republish(manifestPath);
  }
}

/**
 * The Validate Data panel's report: the given manifest's data sets, or the first manifest of the
 * workspace that declares some. What is shown comes from the same core as `mlops validate --format json`.
 */
export async function dataPanelData(manifest: string | undefined, workspaceFolders: readonly string[]): Promise<DataPanelData> {
  const candidates = manifest ? [manifest] : workspaceFolders.flatMap((f) => scanWorkspace(f).manifests);
  for (const path of candidates) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if (manifest) return { manifest: path, report: null, message: `Cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}).` };
      continue;
    }
    if (datasetsOf(readManifestModel(parseManifest(text))).length === 0) continue;
    const root = workspaceFolders.find((f) => path.startsWith(f + sep)) ?? dirname(path);
    try {
      return { manifest: path, report: await validateData({ manifestPath: path, workspaceRoot: root }) };
    } catch (error) {
      if (error instanceof DataValidationError) return { manifest: path, report: null, message: error.message };
      throw error;
    }
  }
  return { manifest: manifest ?? null, report: null, message: 'No mlops.yaml here declares data sets. Add a `data:` section (run `mlops validate --infer FILE` to propose one) to check your data.' };
}
