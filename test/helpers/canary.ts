import { failingModel } from './onnx-builder';

/**
 * A guarded endpoint: version 1 (the churn example's churn-v1.onnx) has all the traffic; version 2
 * (models/canary.onnx, see brokenCanary) loads but fails every request.
 */
export const GUARDED_MANIFEST = `version: 1
models:
  churn:
    task: classification
    versions:
      "1": { path: models/churn-v1.onnx }
      "2": { path: models/canary.onnx }   # loads, but every request fails
    aliases: { production: "1" }
serving:
  port: 0
  endpoints:
    churn:
      model: churn
      traffic: { "1": 100 }
      guard: { max_error_rate_increase: 0.05, max_p95_latency_ratio: 20, min_requests: 20 }
`;

/** A model with the churn models' input (features, FP32 [n, 26]) that ONNX Runtime refuses to run: its reshape to [-1, 5] never fits. */
export const brokenCanary = (): Buffer => failingModel('features', 26, 5);
