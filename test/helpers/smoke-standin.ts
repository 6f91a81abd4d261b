// A deployed endpoint that misbehaves, for `mlops smoke`: a real node:http server in front of a real
// model server, answering from it but wrongly, slowly or with another signature, as asked.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandinOptions {
  /** The real model server answers come from. */
  upstream: string;
  /** Inference requests (numbered from 1) whose label is flipped (0 ↔ 1). */
  wrongLabels?: Set<number>;
  /** Inference requests whose scores are moved by this much. */
  shiftedScores?: Map<number, number>;
  /** Every inference answer waits this long. */
  delayMs?: number;
  /** Rewrites the V2 model metadata. */
  metadata?: (body: { inputs: { name: string; datatype: string; shape: number[] }[]; outputs: { name: string; datatype: string; shape: number[] }[] }) => unknown;
  /** Inference requests answered 500 with an error, or 200 with a body that is not JSON. */
  broken?: Map<number, 'error' | 'malformed'>;
  /** Drop model_version and x-model-version, as a server that does not say which version answered. */
  hideVersion?: boolean;
  /** Every health route answers 503. */
  unready?: boolean;
}

export interface Standin {
  url: string;
  /** Inference requests seen so far. */
  inferences: number;
  close(): Promise<void>;
}

const body = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });

/** Labels and scores of V2 outputs, V1/MLflow per-row objects, flipped or shifted in place. */
function alter(answer: Record<string, unknown>, label: boolean, shift: number): void {
  const flip = (v: unknown): unknown => (Array.isArray(v) ? v.map(flip) : v === 0 ? 1 : 0);
  const move = (v: unknown): unknown => (Array.isArray(v) ? v.map(move) : (v as number) + shift);
  if (Array.isArray(answer.outputs)) {
    for (const o of answer.outputs as { name: string; data: unknown }[]) {
      if (label && o.name === 'label') o.data = flip(o.data);
      if (shift !== 0 && o.name === 'probability') o.data = move(o.data);
    }
  }
  if (Array.isArray(answer.predictions)) {
    for (const p of answer.predictions as Record<string, unknown>[]) {
      if (label) p.label = flip(p.label);
      if (shift !== 0) p.probability = move(p.probability);
    }
  }
}

export async function startStandin(o: StandinOptions): Promise<Standin> {
  const state = { inferences: 0 };
  const server = createServer((req, res) => {
    void (async () => {
      const path = req.url ?? '/';
      const isInfer = req.method === 'POST';
      const n = isInfer ? ++state.inferences : 0;
      if (o.unready && !isInfer) {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'model churn is still loading' }));
        return;
      }
      const sent = isInfer ? await body(req) : undefined;
      if (o.delayMs && isInfer) await new Promise((r) => setTimeout(r, o.delayMs));
      const fault = o.broken?.get(n);
      if (fault === 'error') {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'CUDA out of memory' }));
        return;
      }
      if (fault === 'malformed') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"outputs": [{"name": "probability", "data": [0.1');
        return;
      }
      const up = await fetch(o.upstream + path, { method: req.method, body: sent, headers: sent === undefined ? {} : { 'content-type': 'application/json' } });
      let text = await up.text();
      const headers: Record<string, string> = { 'content-type': up.headers.get('content-type') ?? 'application/json' };
      const version = up.headers.get('x-model-version');
      if (version && !o.hideVersion) headers['x-model-version'] = version;
      if (up.ok && text.startsWith('{')) {
        const json = JSON.parse(text) as Record<string, unknown>;
        if (isInfer) {
          alter(json, o.wrongLabels?.has(n) ?? false, o.shiftedScores?.get(n) ?? 0);
          if (o.hideVersion) delete json.model_version;
        } else if (o.metadata && Array.isArray(json.inputs)) {
          text = JSON.stringify(o.metadata(json as Parameters<NonNullable<StandinOptions['metadata']>>[0]));
          res.writeHead(up.status, headers).end(text);
          return;
        }
        text = JSON.stringify(json);
      }
      res.writeHead(up.status, headers).end(text);
    })().catch((error: Error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: error.message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get inferences() {
      return state.inferences;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
