/**
 * A manifest of about 2,000 lines: 200 models with two versions each, aliases and gates; endpoints,
 * experiments and monitors for half of them. Clean as text; its versions name runs `run-<i>-a|b`.
 */
export function largeManifest(models = 200): string {
  const out = ['version: 1', 'tracking: [runs/]', 'models:'];
  for (let i = 0; i < models; i++) {
    out.push(
      `  model-${i}:`,
      '    task: classification',
      '    versions:',
      `      "1": { path: models/m${i}-v1.onnx, run: run-${i}-a }`,
      `      "2": { path: models/m${i}-v2.onnx, run: run-${i}-b }`,
      '    aliases: { production: "1", staging: "2" }',
      '    gates: { accuracy: { min: 0.8 }, p95_latency_ms: { max: 50 } }',
    );
  }
  const half = Math.floor(models / 2);
  out.push('serving:', '  port: 8080', '  endpoints:');
  for (let i = 0; i < half; i++) out.push(`    ep-${i}:`, `      model: model-${i}`, '      traffic: { "1": 90, "2": 10 }');
  out.push('experiments:');
  for (let i = 0; i < half; i++) out.push(`  x-${i}: { endpoint: ep-${i}, control: "1", treatment: "2", metric: accuracy, alpha: 0.05 }`);
  out.push('monitoring:');
  for (let i = 0; i < half; i++) out.push(`  model-${i}:`, '    drift: { method: auto, drift_share: 0.5 }');
  return out.join('\n') + '\n';
}
