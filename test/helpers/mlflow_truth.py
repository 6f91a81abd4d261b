#!/usr/bin/env python3
"""Independent reading of an MLflow store, for tests to compare the TypeScript readers against.

    python3 mlflow_truth.py file <mlruns-root>
    python3 mlflow_truth.py db <mlflow.db>

Prints JSON: experiments, runs (status, times, params, latest metric per key, points per key) and the
model registry. Uses only the standard library (PyYAML when installed, else a small meta.yaml parser)
and follows MLflow's own rules: metric lines "<timestamp> <value> [<step>]", latest = greatest
(step, timestamp, value) with NaN greatest, model versions in stage Deleted_Internal hidden.
"""
import json
import math
import os
import sqlite3
import sys

STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
NOT_EXPERIMENTS = {".trash", "models"}
NOT_RUNS = {"tags", "datasets", "traces", "models"}


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        import yaml  # type: ignore
    except ImportError:
        return tiny_yaml(text)
    return yaml.safe_load(text)


def tiny_yaml(text):
    """Top-level `key: scalar` lines of a PyYAML-written meta.yaml (nested values are skipped)."""
    out = {}
    for line in text.splitlines():
        if not line or line[0] in " -#" or ":" not in line:
            continue
        key, _, raw = line.partition(":")
        raw = raw.strip()
        if raw in ("", "null", "~"):
            out[key] = None
        elif raw[0] in "'\"":
            out[key] = raw[1:-1].replace("''", "'") if raw[0] == "'" else json.loads(raw)
        elif raw in ("{}", "[]"):
            out[key] = {} if raw == "{}" else []
        else:
            try:
                out[key] = int(raw)
            except ValueError:
                out[key] = raw
    return out


def number(value):
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def latest_key(point):
    step, timestamp, value = point
    nan = isinstance(value, float) and math.isnan(value)
    return (step, timestamp, 1 if nan else 0, 0 if nan else value)


def summarize(points_by_key):
    latest, counts = {}, {}
    for key, points in points_by_key.items():
        counts[key] = len(points)
        step, timestamp, value = max(points, key=latest_key)
        latest[key] = {"step": step, "timestamp": timestamp, "value": number(value)}
    return latest, counts


def read_tree(folder):
    """Files under folder keyed by their relative path with '/'."""
    values = {}
    if not os.path.isdir(folder):
        return values
    for dirpath, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            key = os.path.relpath(path, folder).replace(os.sep, "/")
            with open(path, encoding="utf-8") as f:
                values[key] = f.read()
    return values


def file_store(root):
    experiments, runs = {}, {}
    for exp_id in sorted(os.listdir(root)):
        exp_dir = os.path.join(root, exp_id)
        if exp_id in NOT_EXPERIMENTS or exp_id.startswith(".") or not os.path.isdir(exp_dir):
            continue
        meta = load_yaml(os.path.join(exp_dir, "meta.yaml")) or {}
        experiments[exp_id] = {"name": meta.get("name"), "lifecycle_stage": meta.get("lifecycle_stage", "active")}
        for run_id in sorted(os.listdir(exp_dir)):
            run_dir = os.path.join(exp_dir, run_id)
            if run_id in NOT_RUNS or not os.path.isfile(os.path.join(run_dir, "meta.yaml")):
                continue
            runs[run_id] = file_run(run_dir, exp_id)
    return {"experiments": experiments, "runs": runs, "registry": file_registry(os.path.join(root, "models"))}


def file_run(run_dir, exp_id):
    meta = load_yaml(os.path.join(run_dir, "meta.yaml"))
    tags = read_tree(os.path.join(run_dir, "tags"))
    points = {}
    for key, text in read_tree(os.path.join(run_dir, "metrics")).items():
        for line in text.splitlines():
            parts = line.strip().split(" ")
            if len(parts) < 2:
                continue
            try:
                step = int(parts[2]) if len(parts) > 2 else 0
                points.setdefault(key, []).append((step, int(parts[0]), float(parts[1])))
            except ValueError:
                continue
    latest, counts = summarize(points)
    return {
        "experiment_id": exp_id,
        "name": tags.get("mlflow.runName") or meta.get("run_name") or meta.get("name") or "",
        "status": STATUS.get(meta.get("status"), "RUNNING"),
        "lifecycle_stage": meta.get("lifecycle_stage", "active"),
        "start_time": meta.get("start_time"),
        "end_time": meta.get("end_time"),
        "params": read_tree(os.path.join(run_dir, "params")),
        "latest": latest,
        "points": counts,
    }


def file_registry(models_dir):
    registry = {}
    if not os.path.isdir(models_dir):
        return registry
    for name in sorted(os.listdir(models_dir)):
        model_dir = os.path.join(models_dir, name)
        meta = load_yaml(os.path.join(model_dir, "meta.yaml")) or {}
        alias_dir = os.path.join(model_dir, "aliases")
        if os.path.isdir(alias_dir):
            aliases = {k: v.strip() for k, v in read_tree(alias_dir).items()}
        else:
            aliases = {k: str(v) for k, v in (meta.get("aliases") or {}).items()}
        versions = {}
        for sub in os.listdir(model_dir):
            if not sub.startswith("version-"):
                continue
            vmeta = load_yaml(os.path.join(model_dir, sub, "meta.yaml")) or {}
            if vmeta.get("current_stage") == "Deleted_Internal":
                continue
            version = str(vmeta.get("version", sub[len("version-"):]))
            versions[version] = {
                "stage": vmeta.get("current_stage") or "None",
                "run_id": vmeta.get("run_id"),
                "source": vmeta.get("source"),
                "aliases": sorted(a for a, v in aliases.items() if v == version),
            }
        registry[meta.get("name", name)] = {"aliases": aliases, "versions": versions}
    return registry


def database(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def columns(table):
        return {r[1] for r in db.execute(f"PRAGMA table_info({table})")}

    experiments = {
        str(eid): {"name": name, "lifecycle_stage": stage}
        for eid, name, stage in db.execute("SELECT experiment_id, name, lifecycle_stage FROM experiments")
    }
    params, tags, points = {}, {}, {}
    for run, key, value in db.execute("SELECT run_uuid, key, value FROM params"):
        params.setdefault(run, {})[key] = value
    for run, key, value in db.execute("SELECT run_uuid, key, value FROM tags"):
        tags.setdefault(run, {})[key] = value
    metric_cols = columns("metrics")
    step = "step" if "step" in metric_cols else "0"
    is_nan = "is_nan" if "is_nan" in metric_cols else "0"
    for run, key, value, timestamp, s, nan in db.execute(f"SELECT run_uuid, key, value, timestamp, {step}, {is_nan} FROM metrics"):
        points.setdefault(run, {}).setdefault(key, []).append((s, timestamp, float("nan") if nan else value))
    runs = {}
    name_col = "name" if "name" in columns("runs") else "''"
    for run, exp, name, status, stage, start, end in db.execute(
        f"SELECT run_uuid, experiment_id, {name_col}, status, lifecycle_stage, start_time, end_time FROM runs"
    ):
        latest, counts = summarize(points.get(run, {}))
        runs[run] = {
            "experiment_id": str(exp),
            "name": tags.get(run, {}).get("mlflow.runName") or name or "",
            "status": status,
            "lifecycle_stage": stage,
            "start_time": start,
            "end_time": end,
            "params": params.get(run, {}),
            "latest": latest,
            "points": counts,
        }
    return {"experiments": experiments, "runs": runs, "registry": db_registry(db, tables)}


def db_registry(db, tables):
    registry = {}
    if "registered_models" not in tables:
        return registry
    aliases = {}
    if "registered_model_aliases" in tables:
        for name, alias, version in db.execute("SELECT name, alias, version FROM registered_model_aliases"):
            aliases.setdefault(name, {})[alias] = str(version)
    for (name,) in db.execute("SELECT name FROM registered_models"):
        registry[name] = {"aliases": aliases.get(name, {}), "versions": {}}
    for name, version, stage, run_id, source in db.execute(
        "SELECT name, version, current_stage, run_id, source FROM model_versions"
    ):
        if stage == "Deleted_Internal":
            continue
        model_aliases = aliases.get(name, {})
        registry[name]["versions"][str(version)] = {
            "stage": stage or "None",
            "run_id": run_id,
            "source": source,
            "aliases": sorted(a for a, v in model_aliases.items() if v == str(version)),
        }
    return registry


if __name__ == "__main__":
    kind, target = sys.argv[1], sys.argv[2]
    result = file_store(target) if kind == "file" else database(target)
    json.dump(result, sys.stdout, allow_nan=False, sort_keys=True)
