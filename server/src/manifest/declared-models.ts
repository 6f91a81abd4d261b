import type { RegisteredModelRecord } from '../tracking/model';
import { readManifestModel } from './model';
import { manifestText, parseManifest } from './parse';

/**
 * The models a manifest declares, in the registry's shape, so the Models view shows them beside an
 * MLflow registry's: versions with their aliases as badges, the run that trained each, the ONNX file.
 */
export function declaredModels(manifestPath: string, openText?: string): (RegisteredModelRecord & { sourcePath: string })[] {
  const text = manifestText(manifestPath, openText);
  if (text === undefined) return [];
  const model = readManifestModel(parseManifest(text));
  return [...(model.models?.entries.values() ?? [])].map((m) => {
    const aliases = Object.fromEntries([...(m.aliases?.entries ?? [])].map(([alias, target]) => [alias, target.value]));
    return {
      name: m.name,
      description: `declared in ${manifestPath}`,
      creationTime: null,
      lastUpdatedTime: null,
      tags: {},
      aliases,
      sourcePath: manifestPath,
      versions: [...(m.versions?.entries.values() ?? [])].map((v) => ({
        name: m.name,
        version: v.name,
        stage: 'None',
        aliases: Object.entries(aliases).filter(([, target]) => target === v.name).map(([alias]) => alias),
        runId: v.run?.value ?? null,
        source: v.path?.value ?? null,
        status: null,
        creationTime: null,
        lastUpdatedTime: null,
        description: null,
        tags: {},
      })),
    };
  });
}
