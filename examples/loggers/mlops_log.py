"""Log a training run as a JSONL run log that MLOps Workbench reads live (docs/jsonl-run-log.md).

Copy this file into your project; it needs only the Python standard library.

    from mlops_log import RunLog

    with RunLog("runs/lr-v1.jsonl", experiment="churn", name="lr-v1", params={"C": 1.0}) as run:
        for epoch in range(10):
            run.log_metric("loss", loss, step=epoch)
        run.log_metrics({"accuracy": acc, "f1_score": f1})

One file per run: opening a path that exists starts that run's log over. Each line is flushed as it
is written, so the editor shows metrics while training runs. Leaving the `with` block by an exception
ends the run FAILED (KILLED for Ctrl-C); calling end() yourself works too.
"""
import json
import math
import os
import time

__all__ = ["RunLog"]


def _now_ms():
    return int(time.time() * 1000)


def _number(value):
    # JSON has no NaN or Infinity; the format spells them as strings.
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _strings(mapping):
    return {str(k): str(v) for k, v in (mapping or {}).items()}


class RunLog:
    def __init__(self, path, experiment="Default", name=None, params=None, tags=None, run_id=None):
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        self.path = path
        self._file = open(path, "w", encoding="utf-8")
        self._ended = False
        record = {"type": "run_start", "experiment": experiment, "time": _now_ms()}
        record["name"] = name if name is not None else os.path.splitext(os.path.basename(path))[0]
        if run_id is not None:
            record["run_id"] = str(run_id)
        if params:
            record["params"] = _strings(params)
        if tags:
            record["tags"] = _strings(tags)
        self._write(record)

    def log_metric(self, key, value, step=None):
        record = {"type": "metric", "key": str(key), "value": _number(value), "time": _now_ms()}
        if step is not None:
            record["step"] = int(step)
        self._write(record)

    def log_metrics(self, metrics, step=None):
        record = {"type": "metric", "metrics": {str(k): _number(v) for k, v in metrics.items()}, "time": _now_ms()}
        if step is not None:
            record["step"] = int(step)
        self._write(record)

    def log_param(self, key, value):
        self._write({"type": "param", "key": str(key), "value": str(value)})

    def log_params(self, params):
        self._write({"type": "param", "params": _strings(params)})

    def set_tag(self, key, value):
        self._write({"type": "tag", "key": str(key), "value": str(value)})

    def end(self, status="FINISHED"):
        if self._ended:
            return
        self._write({"type": "run_end", "status": status, "time": _now_ms()})
        self._ended = True
        self._file.close()

    def _write(self, record):
        if self._ended:
            raise ValueError("the run has ended: " + self.path)
        self._file.write(json.dumps(record, allow_nan=False) + "\n")
        self._file.flush()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.end("FINISHED")
        else:
            self.end("KILLED" if issubclass(exc_type, KeyboardInterrupt) else "FAILED")
        return False
