import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { build } from 'esbuild';
import { parse } from 'yaml';
import type { WorkflowTemplate } from '@actions/workflow-parser';
import { REPO } from './paths';

/**
 * A workflow as GitHub's own parser reads it: the schema check of parseWorkflow, then the
 * conversion (where needs, cron expressions and expressions are checked). `errors` has both.
 */
export async function parseGithubWorkflow(text: string): Promise<{ errors: string[]; template: WorkflowTemplate }> {
  const parser = await workflowParser();
  const result = parser.parseWorkflow({ name: 'mlops.yml', content: text }, new parser.NoOperationTraceWriter());
  const template = result.value
    ? await parser.convertWorkflowTemplate(result.context, result.value)
    : ({ events: {}, jobs: [], errors: [] } as unknown as WorkflowTemplate);
  const messages = new Set([...result.context.errors.getErrors().map((e) => e.message), ...(template.errors ?? []).map((e) => e.Message)]);
  return { errors: [...messages], template };
}

type Parser = typeof import('@actions/workflow-parser') & { isValidCron: (cron: string) => boolean };
let parser: Parser | undefined;

/**
 * GitHub's parser, unchanged. It is published as ES modules that import its schema JSON without an
 * import attribute (it is meant for bundlers), so plain Node cannot import() it: esbuild bundles it
 * once into a CommonJS file, as an application using it would.
 */
export async function workflowParser(): Promise<Parser> {
  if (parser) return parser;
  const dist = join(REPO, 'node_modules', '@actions', 'workflow-parser', 'dist');
  const outfile = join(mkdtempSync(join(tmpdir(), 'mlops-workflow-parser-')), 'parser.cjs');
  await build({
    stdin: { contents: `export * from ${JSON.stringify(join(dist, 'index.js'))};\nexport { isValidCron } from ${JSON.stringify(join(dist, 'model', 'converter', 'cron.js'))};\n`, resolveDir: dist },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile,
    logLevel: 'warning',
  });
  parser = createRequire(__filename)(outfile) as Parser;
  return parser;
}

let validator: ReturnType<Ajv['compile']> | undefined;

/** Errors of the workflow against SchemaStore's github-workflow.json (draft-07), as `path message`. */
export function workflowSchemaErrors(text: string): string[] {
  if (!validator) {
    const schema = JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'github-workflow', 'github-workflow.json'), 'utf8')) as object;
    validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  if (validator(parse(text))) return [];
  return (validator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim());
}
