"""Ground truth for the TensorBoard reader, with Python's standard library alone: TFRecord frames
(CRC-32C checked with a table computed here) and the protobuf wire format decoded by hand, from the
field numbers of tensorflow.Event, Summary, SummaryMetadata and TensorProto.

Usage: python3 tfevents_truth.py FILE [PREFIX]  ->  JSON: {"records", "points": {key: count},
  "last": {key: [step, value]}, "first_wall", "last_wall", "hparams": {name: text}}
"""
import json
import struct
import sys

POLY = 0x82F63B78
TABLE = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def fields(buf):
    """(field number, wire type, value) of a message; length-delimited values as bytes."""
    i, out = 0, []
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 1:
            v = buf[i:i + 8]
            i += 8
        elif wt == 2:
            n, i = varint(buf, i)
            v = buf[i:i + n]
            i += n
        elif wt == 5:
            v = buf[i:i + 4]
            i += 4
        else:
            raise ValueError(f"wire type {wt}")
        out.append((num, wt, v))
    return out


def first(fs, num):
    return next((v for n, _, v in fs if n == num), None)


def tensor_scalar(t):
    fs = fields(t)
    dtype = first(fs, 1) or 0
    shape = first(fs, 2)
    size = 1
    for n, _, dim in fields(shape or b""):
        if n == 2:
            size *= first(fields(dim), 1) or 0
    if size != 1:
        return None
    content = first(fs, 4)
    if content:
        if dtype == 1 and len(content) == 4:
            return struct.unpack("<f", content)[0]
        if dtype == 2 and len(content) == 8:
            return struct.unpack("<d", content)[0]
        return None
    packed = first(fs, 5)
    if packed is not None:
        return struct.unpack("<f", packed[:4])[0] if isinstance(packed, bytes) else None
    return None


def main(path, prefix=""):
    data = open(path, "rb").read()
    i = records = 0
    points, last, hparams, plugins = {}, {}, {}, {}
    walls = []
    while i + 12 <= len(data):
        (length,) = struct.unpack("<Q", data[i:i + 8])
        assert struct.unpack("<I", data[i + 8:i + 12])[0] == masked(data[i:i + 8]), "length CRC"
        if i + 12 + length + 4 > len(data):
            break
        rec = data[i + 12:i + 12 + length]
        assert struct.unpack("<I", data[i + 12 + length:i + 16 + length])[0] == masked(rec), "data CRC"
        i += 16 + length
        records += 1
        ev = fields(rec)
        wall = first(ev, 1)
        wall_ms = struct.unpack("<d", wall)[0] * 1000 if wall is not None else None
        if wall_ms is not None:
            walls.append(wall_ms)
        step = first(ev, 2) or 0
        if step >= 1 << 63:
            step -= 1 << 64
        summary = first(ev, 5)
        if summary is None:
            continue
        for n, _, value in fields(summary):
            if n != 1:
                continue
            vf = fields(value)
            tag = (first(vf, 1) or b"").decode("utf8")
            meta = first(vf, 9)
            if meta is not None:
                pd = first(fields(meta), 1)
                if pd is not None:
                    name = (first(fields(pd), 1) or b"").decode("utf8")
                    if name:
                        plugins[tag] = name
                    content = first(fields(pd), 2)
                    if name == "hparams" and content:
                        ssi = first(fields(content), 3)
                        for k, _, entry in fields(ssi or b""):
                            if k != 1:
                                continue
                            ef = fields(entry)
                            key = first(ef, 1).decode("utf8")
                            val = fields(first(ef, 2) or b"")
                            for vn, _, vv in val:
                                if vn == 2:
                                    f = struct.unpack("<d", vv)[0]
                                    hparams[key] = str(int(f)) if f == int(f) else repr(f)
                                elif vn == 3:
                                    hparams[key] = vv.decode("utf8")
                                elif vn == 4:
                                    hparams[key] = "true" if vv else "false"
                        continue
            if plugins.get(tag) == "hparams":
                continue
            simple = first(vf, 2)
            v = None
            if simple is not None:
                v = struct.unpack("<f", simple)[0]
            elif first(vf, 8) is not None and plugins.get(tag) in (None, "scalars"):
                v = tensor_scalar(first(vf, 8))
            if v is None:
                continue
            key = prefix + tag
            points[key] = points.get(key, 0) + 1
            last[key] = [step, v]
    print(json.dumps({"records": records, "points": points, "last": last, "first_wall": min(walls) if walls else None,
                      "last_wall": max(walls) if walls else None, "hparams": hparams}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")
