import { readManifestModel } from '../manifest/model';
import { manifestText, parseManifest } from '../manifest/parse';
import { goalsFromGates, type MetricGoal } from './comparison';

/** The metric goals a manifest's gates set (`min:` → higher is better), in document order; none when unreadable. */
export function manifestGoals(manifestPath: string, openText?: string): MetricGoal[] {
  const text = manifestText(manifestPath, openText);
  if (text === undefined) return [];
  const model = readManifestModel(parseManifest(text));
  const gates = [...(model.models?.entries.values() ?? [])].flatMap((m) =>
    [...(m.gates?.entries.values() ?? [])].map((g) => ({ metric: g.name, min: g.min?.value, max: g.max?.value })),
  );
  return goalsFromGates(gates);
}
