#!/usr/bin/env python3
"""Reference values for the statistics core, computed with scipy (Debian: apt-get install python3-scipy).

    python3 scipy_truth.py cases.json      # [{"id", "fn", ...args}] -> {"scipy": version, "results": {id: result}}
    python3 scipy_truth.py bench-drift data.bin features rows
        # data.bin: little-endian float64, reference then current, each feature-major (features x rows).
        # Like bench-ks, but each "run" times drift_report over every feature (Evidently's default tests).
    python3 scipy_truth.py bench-ks data.bin n1
        # data.bin: little-endian float64, the first n1 values are sample a, the rest sample b.
        # Loads the data, then for every line "run" on stdin times one scipy.stats.ks_2samp call
        # (data loading excluded) and prints {"statistic", "pvalue", "wall_ms", "cpu_ms"} on a line,
        # so the caller can interleave its own rounds with scipy's on a busy machine.

Each case names a function ("fn") and its arguments; the result is a dict of numbers. Non-finite
numbers are written as the strings "NaN", "Infinity", "-Infinity" (JSON has no literals for them).
Where scipy has no function for a quantity (intervals, power, PSI, Benjamini-Hochberg in scipy 1.10,
the confidence sequence), it is computed here from the documented formula with scipy's
distributions, so the TypeScript arithmetic and quantiles are still checked independently.
"""
import json
import math
import sys
import time
import warnings

import numpy as np
import scipy
from scipy import optimize, special, stats
from scipy.spatial import distance


def summary(s):
    return s["n"], s["mean"], s["variance"]


def welch_df(v1, n1, v2, n2):
    vn1, vn2 = v1 / n1, v2 / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        df = (vn1 + vn2) ** 2 / (vn1 ** 2 / (n1 - 1) + vn2 ** 2 / (n2 - 1))
    return 1.0 if np.isnan(df) else float(df)


def ttest(c, equal_var):
    a, b = np.asarray(c["a"], float), np.asarray(c["b"], float)
    r = stats.ttest_ind(a, b, equal_var=equal_var)
    n1, n2 = len(a), len(b)
    df = n1 + n2 - 2.0 if equal_var else welch_df(np.var(a, ddof=1), n1, np.var(b, ddof=1), n2)
    return {"statistic": r.statistic, "pvalue": r.pvalue, "df": df}


def ztest_counts(x1, n1, x2, n2):
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return {"statistic": 0.0, "pvalue": 1.0}
    z = (x1 / n1 - x2 / n2) / se
    # Cross-check: z^2 is the uncorrected 2x2 chi-square statistic.
    chi2 = stats.chi2_contingency([[x1, n1 - x1], [x2, n2 - x2]], correction=False)[0]
    assert math.isclose(z * z, chi2, rel_tol=1e-9), (z * z, chi2)
    return {"statistic": z, "pvalue": 2 * stats.norm.sf(abs(z))}


def interval(estimate, se, df, alpha):
    q = stats.norm.ppf(1 - alpha / 2) if df == math.inf else stats.t.ppf(1 - alpha / 2, df)
    return {"estimate": estimate, "lower": estimate - q * se, "upper": estimate + q * se, "se": se, "df": df}


def two_sided_power(delta, se0, se1, alpha):
    z = stats.norm.ppf(1 - alpha / 2)
    d = abs(delta)
    return stats.norm.cdf((d - z * se0) / se1) + stats.norm.cdf((-d - z * se0) / se1)


def prop_power(p1, p2, n1, n2, alpha):
    pooled = (n1 * p1 + n2 * p2) / (n1 + n2)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    se1 = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return two_sided_power(p2 - p1, se0, se1, alpha)


def mean_power(delta, sd1, sd2, n1, n2, alpha):
    se = math.sqrt(sd1 * sd1 / n1 + sd2 * sd2 / n2)
    return two_sided_power(delta, se, se, alpha)


def smallest_n(power, target, ratio):
    """Smallest integer n1 >= 2 with power(n1, max(2, ceil(ratio*n1))) >= target, by doubling then bisection."""
    n2of = lambda n1: max(2, math.ceil(ratio * n1))
    lo, hi = 1, 2
    while power(hi, n2of(hi)) < target:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if power(mid, n2of(mid)) >= target:
            hi = mid
        else:
            lo = mid
    return {"n1": hi, "n2": n2of(hi)}


def seq(c):
    alpha, tuning, est, se, n = c["alpha"], c["tuning"], c["estimate"], c["se"], c["n"]
    log_alpha = np.log(alpha)
    rho = np.sqrt((-2 * log_alpha + np.log(-2 * log_alpha + 1)) / tuning)
    s2 = se * se * n
    halfwidth = np.sqrt(s2) * np.sqrt(2 * (n * rho ** 2 + 1) * np.log(np.sqrt(n * rho ** 2 + 1) / alpha) / (n * rho) ** 2)
    st2 = est ** 2 * n / se ** 2
    tr2p1 = n * rho ** 2 + 1
    evalue = np.exp(rho ** 2 * st2 / (2 * tr2p1)) / np.sqrt(tr2p1)
    return {"rho": rho, "halfwidth": halfwidth, "lower": est - halfwidth, "upper": est + halfwidth, "pvalue": min(1 / evalue, 1.0)}


def psi(c):
    ref, cur, bins = np.asarray(c["a"], float), np.asarray(c["b"], float), c["bins"]
    edges = np.unique(np.quantile(ref, np.arange(1, bins) / bins))
    pa = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=len(edges) + 1) / len(ref)
    pb = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=len(edges) + 1) / len(cur)
    pa = np.where(pa == 0, 1e-4, pa)
    pb = np.where(pb == 0, 1e-4, pb)
    return {"psi": float(np.sum((pb - pa) * np.log(pb / pa)))}


def bh(p):
    p = np.asarray(p, float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = p[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(adj[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1)
    return out


def run(c):
    fn = c["fn"]
    if fn == "welch":
        return ttest(c, False)
    if fn == "student":
        return ttest(c, True)
    if fn == "ztest":
        return ztest_counts(c["x1"], c["n1"], c["x2"], c["n2"])
    if fn == "ztest_binary":
        a, b = np.asarray(c["a"]), np.asarray(c["b"])
        return ztest_counts(int(a.sum()), len(a), int(b.sum()), len(b))
    if fn == "chisq":
        r = stats.chi2_contingency(np.array([c["a"], c["b"]], float), correction=c["yates"])
        return {"statistic": r[0], "pvalue": r[1], "dof": r[2]}
    if fn == "srm":
        counts = np.asarray(c["counts"], float)
        w = np.asarray(c["weights"], float) if c.get("weights") is not None else np.ones(len(counts))
        r = stats.chisquare(counts, f_exp=w / w.sum() * counts.sum())
        return {"statistic": r.statistic, "pvalue": r.pvalue, "dof": len(counts) - 1}
    if fn == "ks":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = stats.ks_2samp(np.asarray(c["a"], float), np.asarray(c["b"], float), method=c["method"])
        return {"statistic": r.statistic, "pvalue": r.pvalue}
    if fn == "wasserstein":
        return {"distance": stats.wasserstein_distance(c["a"], c["b"])}
    if fn == "normed_wasserstein":
        return {"distance": stats.wasserstein_distance(c["a"], c["b"]) / max(np.std(c["a"]), 0.001)}
    if fn == "jensenshannon":
        return {"distance": distance.jensenshannon(np.asarray(c["p"], float), np.asarray(c["q"], float))}
    if fn == "psi":
        return psi(c)
    if fn == "mean_diff_ci":
        (n1, m1, v1), (n2, m2, v2) = summary(c["a"]), summary(c["b"])
        if c.get("equal_var"):
            df = n1 + n2 - 2.0
            se = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / df * (1 / n1 + 1 / n2))
        else:
            df = welch_df(v1, n1, v2, n2)
            se = math.sqrt(v1 / n1 + v2 / n2)
        return interval(m1 - m2, se, df, c["alpha"])
    if fn == "prop_diff_ci":
        p1, p2 = c["x1"] / c["n1"], c["x2"] / c["n2"]
        se = math.sqrt(p1 * (1 - p1) / c["n1"] + p2 * (1 - p2) / c["n2"])
        return interval(p1 - p2, se, math.inf, c["alpha"])
    if fn == "lift_ci":
        (n1, m1, v1), (n2, m2, v2) = summary(c["a"]), summary(c["b"])
        se = math.sqrt(v1 / (n1 * m2 ** 2) + v2 * m1 ** 2 / (n2 * m2 ** 4))
        df = math.inf if c.get("normal") else welch_df(v1, n1, v2, n2)
        return interval(m1 / m2 - 1, se, df, c["alpha"])
    if fn == "prop_power":
        return {"power": prop_power(c["p1"], c["p2"], c["n1"], c["n2"], c["alpha"])}
    if fn == "mean_power":
        return {"power": mean_power(c["delta"], c["sd1"], c["sd2"], c["n1"], c["n2"], c["alpha"])}
    if fn == "prop_sample_size":
        return smallest_n(lambda n1, n2: prop_power(c["p1"], c["p2"], n1, n2, c["alpha"]), c["power"], c["ratio"])
    if fn == "mean_sample_size":
        return smallest_n(lambda n1, n2: mean_power(c["delta"], c["sd1"], c["sd2"], n1, n2, c["alpha"]), c["power"], c["ratio"])
    if fn == "prop_mde":
        p1, sign = c["p1"], (-1 if c.get("direction") == "down" else 1)
        limit = p1 if sign < 0 else 1 - p1
        f = lambda d: prop_power(p1, p1 + sign * d, c["n1"], c["n2"], c["alpha"]) - c["power"]
        return {"mde": optimize.brentq(f, 1e-12, limit * (1 - 1e-12), xtol=1e-15, rtol=1e-14)}
    if fn == "mean_mde":
        f = lambda d: mean_power(d, c["sd1"], c["sd2"], c["n1"], c["n2"], c["alpha"]) - c["power"]
        return {"mde": optimize.brentq(f, 1e-12, 1e6, xtol=1e-15, rtol=1e-14)}
    if fn == "seq":
        return seq(c)
    if fn == "bonferroni":
        return {"adjusted": list(np.minimum(np.asarray(c["p"]) * len(c["p"]), 1))}
    if fn == "bh":
        return {"adjusted": list(bh(c["p"]))}
    if fn == "drift_report":
        return drift_case(c)
    if fn == "roc_auc":
        # Mann-Whitney U of the positives' scores against the negatives' (ties count half) / (n1 * n0).
        scores, labels = np.asarray(c["scores"], float), np.asarray(c["labels"], bool)
        u = stats.mannwhitneyu(scores[labels], scores[~labels]).statistic
        return {"auc": u / (labels.sum() * (~labels).sum())}
    if fn == "norm_sf":
        return {"value": stats.norm.sf(c["x"])}
    if fn == "norm_ppf":
        return {"value": stats.norm.ppf(c["p"])}
    if fn == "t_sf":
        return {"value": stats.t.sf(c["x"], c["df"])}
    if fn == "t_ppf":
        return {"value": stats.t.ppf(c["p"], c["df"])}
    if fn == "chi2_sf":
        return {"value": stats.chi2.sf(c["x"], c["df"])}
    if fn == "kstwo_sf":
        return {"value": stats.kstwo.sf(c["x"], c["n"])}
    if fn == "smirnov":
        return {"value": special.smirnov(c["n"], c["x"])}
    raise ValueError(f"unknown function {fn}")


def clean(v):
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [clean(x) for x in v]
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


# ---------------------------------------------------------------------------------------------
# Drift report: the same per-feature tests as server/src/drift/report.ts, written independently
# with NumPy and scipy (Evidently's default selection; chi2_contingency; ks_2samp; normed
# wasserstein_distance; jensenshannon on np.histogram(bins="sturges") or per-value shares).

MISSING = {"", "NA", "N/A", "NaN", "nan", "NULL", "null", "None", "#N/A", "-NaN", "-nan", "<NA>", "n/a"}
NUMBER = __import__("re").compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def parse_column(cells):
    """Numbers (NaN = missing) when every present cell is a number, else text (None = missing)."""
    present = [c.strip() for c in cells if c.strip() not in MISSING]
    if all(NUMBER.match(c) for c in present):
        return np.array([math.nan if c.strip() in MISSING else float(c) for c in cells], float)
    return [None if c.strip() in MISSING else c for c in cells]


def drift_feature(ref, cur, alpha, threshold, method):
    numeric = isinstance(ref, np.ndarray) and isinstance(cur, np.ndarray)
    if not numeric:
        ref = [v if isinstance(v, str) else repr_number(v) for v in ref] if isinstance(ref, np.ndarray) else ref
        cur = [v if isinstance(v, str) else repr_number(v) for v in cur] if isinstance(cur, np.ndarray) else cur
        r = [v for v in ref if v is not None]
        c = [v for v in cur if v is not None]
        miss_r, miss_c = len(ref) - len(r), len(cur) - len(c)
        unique = len(set(r) | set(c))
        unique_ref = len(set(r))
    else:
        r, c = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
        miss_r, miss_c = len(ref) - len(r), len(cur) - len(c)
        unique = len(np.unique(np.concatenate([r, c])))
        unique_ref = len(np.unique(r))
    ftype = "binary" if unique <= 2 else ("numeric" if numeric else "categorical")
    if method == "auto":
        big = ftype == "numeric" and unique > 5
        if len(r) <= 1000:
            test = "ks" if big else ("chi-square" if unique > 2 else "z-test")
        else:
            test = "wasserstein" if big else "jensen-shannon"
    else:
        test = method
    pvalue_test = test in ("ks", "chi-square", "z-test")
    thr = alpha if pvalue_test else threshold
    out = {"type": ftype, "test": test, "statistic": None, "pvalue": None, "distance": None, "threshold": thr,
           "missing_ref": miss_r, "missing_cur": miss_c, "rows_ref": len(ref), "rows_cur": len(cur), "new": []}
    if len(r) == 0 or len(c) == 0:
        return out
    keys = None if ftype == "numeric" and test in ("ks", "wasserstein") else sorted(np.unique(np.concatenate([r, c])).tolist() if numeric else set(r) | set(c))
    if ftype != "numeric":
        known = set(r.tolist() if numeric else r)
        fresh = [v for v in (c.tolist() if numeric else c) if v not in known]
        out["new"] = sorted({str(repr_number(v) if numeric else v) for v in fresh})
        out["new_share"] = len(fresh) / len(c)

    def counts(values):
        if numeric:
            u, n = np.unique(values, return_counts=True)
            d = dict(zip(u.tolist(), n.tolist()))
        else:
            d = {}
            for v in values:
                d[v] = d.get(v, 0) + 1
        return np.array([d.get(k, 0) for k in keys], float)

    if test == "ks":
        res = stats.ks_2samp(r, c)
        out["statistic"], out["pvalue"] = res.statistic, res.pvalue
    elif test == "wasserstein":
        out["distance"] = stats.wasserstein_distance(r, c) / max(np.std(r), 0.001)
    elif test == "chi-square":
        if len(keys) < 2:
            out["statistic"], out["pvalue"] = 0.0, 1.0
        else:
            res = stats.chi2_contingency(np.array([counts(r), counts(c)]))
            out["statistic"], out["pvalue"] = res[0], res[1]
    elif test == "z-test":
        k = len(keys) - 1
        z = ztest_counts(counts(r)[k], len(r), counts(c)[k], len(c))
        out["statistic"], out["pvalue"] = z["statistic"], z["pvalue"]
    elif test == "jensen-shannon":
        if numeric and ftype == "numeric" and unique_ref > 20:
            edges = np.histogram_bin_edges(np.concatenate([r, c]), bins="sturges")
            rp, cp = np.histogram(r, edges)[0] / len(r), np.histogram(c, edges)[0] / len(c)
        else:
            rp, cp = counts(r) / len(r), counts(c) / len(c)
        out["distance"] = distance.jensenshannon(rp, cp)
    elif test == "psi":
        if numeric and ftype == "numeric":
            out["distance"] = psi({"a": r, "b": c, "bins": 10})["psi"]
        else:
            rp, cp = counts(r) / len(r), counts(c) / len(c)
            rp, cp = np.where(rp == 0, 1e-4, rp), np.where(cp == 0, 1e-4, cp)
            out["distance"] = float(np.sum((cp - rp) * np.log(cp / rp)))
    return out


def repr_number(v):
    # As JavaScript's String(number) writes integers and short decimals.
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def is_identifier(cells):
    """Ids and names: text with more than 100 distinct values that are a fifth of its values or more,
    or integers all distinct; 50 values at least."""
    values = parse_column(["" if x is None else x if isinstance(x, str) else repr(float(x)) for x in cells])
    if isinstance(values, np.ndarray):
        present = values[np.isfinite(values)]
        return len(present) >= 50 and bool(np.all(present == np.floor(present))) and len(np.unique(present)) == len(present)
    present = [v for v in values if v is not None]
    distinct = len(set(present))
    return len(present) >= 50 and distinct > 100 and distinct >= 0.2 * len(present)


def drift_report(ref_cols, cur_cols, alpha=0.05, threshold=0.1, correction="none", drift_share=0.5, methods=None, raw_ref=None):
    methods = methods or {}
    names = [n for n in ref_cols if raw_ref is None or not is_identifier(raw_ref[n])]
    feats = [drift_feature(ref_cols[n], cur_cols[n], alpha, threshold, methods.get(n, "auto")) for n in names]
    tested = [i for i, f in enumerate(feats) if f["pvalue"] is not None]
    p = np.array([feats[i]["pvalue"] for i in tested], float)
    if correction == "bonferroni":
        adj = np.minimum(p * len(p), 1)
    elif correction == "fdr":
        adj = bh(p) if len(p) else p
    else:
        adj = p
    m = len(feats)
    out = []
    for i, f in enumerate(feats):
        drifted = bool(f["new"]) and f["new_share"] >= 0.01
        adjusted = None
        if i in tested:
            adjusted = float(adj[tested.index(i)])
            drifted = drifted or adjusted < f["threshold"]
        if f["distance"] is not None:
            drifted = drifted or f["distance"] >= f["threshold"]
        if f["statistic"] is None and f["distance"] is None and f["rows_ref"] > f["missing_ref"]:
            drifted = True  # no current value at all
        elif f["missing_ref"] + f["missing_cur"] > 0:
            z = ztest_counts(f["missing_ref"], f["rows_ref"], f["missing_cur"], f["rows_cur"])
            drifted = drifted or z["pvalue"] < alpha / m
        out.append({"name": names[i], "type": f["type"], "test": f["test"], "statistic": f["statistic"], "pvalue": f["pvalue"],
                    "adjusted_pvalue": adjusted, "distance": f["distance"], "drifted": drifted, "new_categories": f["new"]})
    share = sum(f["drifted"] for f in out) / m
    return {"dataset_drift": share >= drift_share, "share": share, "features": out}


def drift_case(c):
    ref = {k: parse_column(v) if isinstance(v[0] if v else "", str) else np.array([math.nan if x is None else x for x in v], float) for k, v in c["reference"].items()}
    cur = {k: parse_column(v) if isinstance(v[0] if v else "", str) else np.array([math.nan if x is None else x for x in v], float) for k, v in c["current"].items()}
    for k in ref:
        # A column that is text on either side is text on both (as the report does).
        if isinstance(ref[k], np.ndarray) != isinstance(cur[k], np.ndarray):
            ref[k] = [None if (isinstance(v, float) and math.isnan(v)) else (repr_number(v) if isinstance(v, float) else v) for v in (ref[k].tolist() if isinstance(ref[k], np.ndarray) else ref[k])]
            cur[k] = [None if (isinstance(v, float) and math.isnan(v)) else (repr_number(v) if isinstance(v, float) else v) for v in (cur[k].tolist() if isinstance(cur[k], np.ndarray) else cur[k])]
    return drift_report(ref, cur, c.get("alpha", 0.05), c.get("threshold", 0.1), c.get("correction", "none"), c.get("drift_share", 0.5), c.get("methods"), c["reference"])


def bench_drift(path, features, rows):
    data = np.fromfile(path, dtype="<f8").reshape(2, features, rows)
    ref = {f"f{i}": data[0, i] for i in range(features)}
    cur = {f"f{i}": data[1, i] for i in range(features)}
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        wall, cpu = time.perf_counter(), time.process_time()
        r = drift_report(ref, cur)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(json.dumps(clean({"dataset_drift": r["dataset_drift"], "share": r["share"], "drifted": [f["drifted"] for f in r["features"]],
                                "statistics": [f["statistic"] for f in r["features"]], "wall_ms": wall * 1000, "cpu_ms": cpu * 1000})), flush=True)


def bench_ks(path, n1):
    data = np.fromfile(path, dtype="<f8")
    a, b = data[:n1], data[n1:]
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        wall, cpu = time.perf_counter(), time.process_time()
        r = stats.ks_2samp(a, b)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(json.dumps(clean({"statistic": r.statistic, "pvalue": r.pvalue, "wall_ms": wall * 1000, "cpu_ms": cpu * 1000})), flush=True)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "bench-drift":
        bench_drift(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    if len(sys.argv) >= 2 and sys.argv[1] == "bench-ks":
        bench_ks(sys.argv[2], int(sys.argv[3]))
        return
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    results = {}
    for c in cases:
        try:
            results[c["id"]] = clean(run(c))
        except Exception as e:  # reported per case so one bad case does not hide the rest
            results[c["id"]] = {"error": f"{type(e).__name__}: {e}"}
    print(json.dumps({"scipy": scipy.__version__, "results": results}))


if __name__ == "__main__":
    main()
