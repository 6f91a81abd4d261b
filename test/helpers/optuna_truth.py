"""Ground truth for the Optuna reader, read with Python's standard library alone (sqlite3, json)
from the storage's tables, as Optuna's own RDB storage lays them out in each schema version.

Usage: python3 optuna_truth.py STORAGE.db  ->  JSON on stdout:
{"studies": {name: {"directions": [...], "trials": {number: {"state", "params", "values",
  "intermediate": count, "last_intermediate": value or null}}, "best": number or null,
  "pareto": [numbers]}}}
"""
import decimal
import json
import sqlite3
import sys


def tables(con):
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def cols(con, table):
    return [r[1] for r in con.execute(f"PRAGMA table_info({table})")]


def decoded(value, distribution_json):
    dist = json.loads(distribution_json)
    name = dist["name"]
    if name == "CategoricalDistribution":
        choice = dist["attributes"]["choices"][int(value)]
        return choice if isinstance(choice, str) else json.dumps(choice)
    if name in ("IntDistribution", "IntUniformDistribution", "IntLogUniformDistribution"):
        return str(int(round(value)))
    return repr_js(float(value))


def repr_js(v):
    """JavaScript's String(number): the shortest round-trip digits (as repr), positional from 1e-6 to 1e21."""
    if v == int(v) and abs(v) < 1e21:
        return str(int(v))
    if abs(v) < 1e-6 or abs(v) >= 1e21:
        mantissa, exponent = repr(v).split("e")
        return f"{mantissa}e{'-' if exponent.startswith('-') else '+'}{abs(int(exponent))}"
    return format(decimal.Decimal(repr(v)), "f")


def main(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    have = tables(con)
    trial_cols = cols(con, "trials")
    study_cols = cols(con, "studies")
    out = {}
    studies = {}
    for row in con.execute("SELECT * FROM studies"):
        rec = dict(zip(study_cols, row))
        studies[rec["study_id"]] = rec
    directions = {}
    if "study_directions" in have:
        for study_id, objective, direction in con.execute("SELECT study_id, objective, direction FROM study_directions ORDER BY objective"):
            directions.setdefault(study_id, []).append(direction)
    for sid, rec in studies.items():
        dirs = directions.get(sid) or [rec.get("direction") or "MINIMIZE"]
        out[rec["study_name"]] = {"directions": dirs, "trials": {}}
    numbers = {}
    for row in con.execute("SELECT * FROM trials"):
        t = dict(zip(trial_cols, row))
        number = t.get("number")
        if number is None:
            (number,) = con.execute("SELECT value_json FROM trial_system_attributes WHERE trial_id=? AND key='_number'", (t["trial_id"],)).fetchone()
            number = int(json.loads(number))
        numbers[t["trial_id"]] = (t["study_id"], number)
        study = out[studies[t["study_id"]]["study_name"]]
        params = {n: decoded(v, d) for n, v, d in con.execute("SELECT param_name, param_value, distribution_json FROM trial_params WHERE trial_id=?", (t["trial_id"],))}
        if "trial_intermediate_values" in have:
            values = [v for (_, v) in sorted(con.execute("SELECT objective, value FROM trial_values WHERE trial_id=?", (t["trial_id"],)))]
            inter = list(con.execute("SELECT step, intermediate_value FROM trial_intermediate_values WHERE trial_id=? ORDER BY step", (t["trial_id"],)))
        else:
            values = [t["value"]] if t.get("value") is not None else []
            inter = list(con.execute("SELECT step, value FROM trial_values WHERE trial_id=? ORDER BY step", (t["trial_id"],)))
        study["trials"][str(number)] = {
            "state": t["state"],
            "params": params,
            "values": values,
            "intermediate": len(inter),
            "last_intermediate": inter[-1][1] if inter else None,
        }
    for name, study in out.items():
        done = {int(n): tr["values"] for n, tr in study["trials"].items() if tr["state"] == "COMPLETE" and len(tr["values"]) == len(study["directions"])}
        signed = {n: [(-v if d == "MAXIMIZE" else v) for v, d in zip(vals, study["directions"])] for n, vals in done.items()}
        if len(study["directions"]) == 1:
            study["best"] = min(signed, key=lambda n: (signed[n][0], n)) if signed else None
            study["pareto"] = []
        else:
            study["best"] = None
            study["pareto"] = sorted(n for n, a in signed.items() if not any(
                m != n and all(x <= y for x, y in zip(b, a)) and any(x < y for x, y in zip(b, a)) for m, b in signed.items()))
    print(json.dumps({"studies": out}))


if __name__ == "__main__":
    main(sys.argv[1])
