"""Ground truth for the W&B reader, with Python's standard library alone: the run log's blocks and
record headers (zlib's CRC-32 over the type byte and the data), the protobuf wire format by hand
(field numbers of wandb_internal.Record), and the run folder's files read with json (config.yaml's
top-level keys by a plain line scan: no YAML parser in the standard library).

Usage: python3 wandb_truth.py RUN_FOLDER  ->  JSON: {"records", "kinds", "history": {key: count},
  "last": {key: [step, value]}, "run_id", "display_name", "project", "exit_code", "config_keys",
  "summary": {key: value}}
"""
import json
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from tfevents_truth import fields, first  # noqa: E402

KINDS = {2: "history", 3: "summary", 4: "output", 5: "config", 6: "files", 7: "stats", 8: "artifact", 9: "tbrecord",
         10: "alert", 11: "telemetry", 12: "metric", 13: "output_raw", 17: "run", 18: "exit", 20: "final", 21: "header",
         22: "footer", 23: "preempting", 24: "link_artifact", 25: "use_artifact", 100: "request"}


def records(path):
    data = open(path, "rb").read()
    assert data[:4] == b":W&B" and struct.unpack("<H", data[4:6])[0] == 0xBEE1
    at, pending = 7, None
    while at + 7 <= len(data):
        room = 32768 - at % 32768
        if room < 7:
            at += room
            continue
        crc, length, kind = struct.unpack("<IHB", data[at:at + 7])
        if crc == 0 and length == 0 and kind == 0:
            at += room
            continue
        if at + 7 + length > len(data):
            return
        body = data[at + 7:at + 7 + length]
        assert zlib.crc32(body, zlib.crc32(bytes([kind]))) == crc, f"CRC at {at}"
        at += 7 + length
        if kind == 1:
            yield body
        elif kind == 2:
            pending = [body]
        elif kind == 3:
            pending.append(body)
        elif kind == 4:
            yield b"".join(pending + [body])
            pending = None


def main(folder):
    out = {"records": 0, "kinds": {}, "history": {}, "last": {}, "run_id": None, "display_name": None, "project": None, "exit_code": None}
    log = next(f for f in sorted(os.listdir(folder)) if f.endswith(".wandb"))
    for body in records(os.path.join(folder, log)):
        out["records"] += 1
        fs = fields(body)
        kind = next((KINDS.get(n, "unknown") for n, _, _ in fs if n in KINDS), "unknown")
        out["kinds"][kind] = out["kinds"].get(kind, 0) + 1
        if kind == "run":
            run = fields(first(fs, 17))
            out["run_id"] = (first(run, 1) or b"").decode()
            out["project"] = (first(run, 3) or b"").decode() or out["project"]
            out["display_name"] = (first(run, 8) or b"").decode() or out["display_name"]
        elif kind == "exit":
            out["exit_code"] = first(fields(first(fs, 18)), 1) or 0
        elif kind == "history":
            values = {}
            for n, _, item in fields(first(fs, 2)):
                if n != 1:
                    continue
                it = fields(item)
                nested = [v.decode() for k, _, v in it if k == 2]
                key = ".".join(nested) if nested else (first(it, 1) or b"").decode()
                values[key] = json.loads((first(it, 16) or b"null").decode())
            step = values.get("_step")
            for key, v in values.items():
                if key.startswith("_") or isinstance(v, bool) or not isinstance(v, (int, float)):
                    continue
                out["history"][key] = out["history"].get(key, 0) + 1
                out["last"][key] = [step, v]
    files = os.path.join(folder, "files")
    keys = []
    for line in open(os.path.join(files, "config.yaml"), encoding="utf8"):
        if line and not line[0].isspace() and ":" in line and not line.startswith("#"):
            key = line.split(":", 1)[0].strip()
            if key not in ("_wandb", "wandb_version"):
                keys.append(key)
    out["config_keys"] = sorted(keys)
    out["summary"] = json.load(open(os.path.join(files, "wandb-summary.json"), encoding="utf8"))
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
