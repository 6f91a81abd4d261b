import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Location, Position, Range } from 'vscode-languageserver/node';
import type { Entry, ManifestModel } from '../../manifest/model';
import { nodeAt } from '../../manifest/model';
import type { Analysis } from './analysis';
import type { ManifestFacts } from './facts';

const START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/**
 * Go to definition: a version's `path` → its .onnx file, `run` → the run's files; a version id used
 * in aliases, traffic, mirror or an experiment → the version entry; an endpoint's `model` → the model;
 * an experiment's `endpoint` → the endpoint; a monitoring `reference` → the data file.
 */
export function definition(a: Analysis, position: Position, facts: ManifestFacts): Location[] {
  const at = nodeAt(a.parsed, position);
  if (!at) return [];
  const p = at.path.map(String);
  const text = typeof at.value === 'string' || typeof at.value === 'number' ? String(at.value) : undefined;
  const here = (e: Entry | undefined): Location[] => (e ? [{ uri: a.uri, range: e.keyRange }] : []);
  const file = (relative: string | undefined): Location[] => {
    if (!relative) return [];
    const path = resolve(a.dir, relative);
    return existsSync(path) ? [{ uri: pathToFileURL(path).toString(), range: START }] : [];
  };
  const m = a.model;

  if (p[0] === 'models' && p[2] === 'versions' && p[4] === 'path' && !at.onKey) return file(text);
  if (p[0] === 'models' && p[2] === 'versions' && p[4] === 'run' && !at.onKey && text) {
    const run = facts.run(text);
    const target = run && facts.runFile(run);
    return target ? [{ uri: pathToFileURL(target).toString(), range: START }] : [];
  }
  if (p[0] === 'models' && p[2] === 'aliases' && p.length === 4 && !at.onKey) return here(version(m, p[1], text));
  if (p[0] === 'serving' && p[1] === 'endpoints') {
    const endpoint = m.serving?.endpoints?.entries.get(p[2]);
    const modelName = endpoint?.model?.value;
    if (p[3] === 'model' && !at.onKey) return here(m.models?.entries.get(text ?? ''));
    if (p[3] === 'traffic' && p.length === 5 && at.onKey) return here(version(m, modelName, p[4]));
    if (p[3] === 'mirror' && p[4] === 'version' && !at.onKey) return here(version(m, modelName, text));
  }
  if (p[0] === 'experiments' && p.length === 3 && !at.onKey) {
    const experiment = m.experiments?.entries.get(p[1]);
    if (p[2] === 'endpoint') return here(m.serving?.endpoints?.entries.get(text ?? ''));
    if (p[2] === 'control' || p[2] === 'treatment') {
      const endpoint = m.serving?.endpoints?.entries.get(experiment?.endpoint?.value ?? '');
      return here(version(m, endpoint?.model?.value, text));
    }
  }
  if (p[0] === 'monitoring' && p.length === 2 && at.onKey) return here(m.models?.entries.get(p[1]));
  if (p[0] === 'monitoring' && p[2] === 'reference' && !at.onKey) return file(text);
  return [];
}

function version(m: ManifestModel, modelName: string | undefined, id: string | undefined): Entry | undefined {
  if (!modelName || id === undefined) return undefined;
  return m.models?.entries.get(modelName)?.versions?.entries.get(id);
}
