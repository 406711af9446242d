#!/usr/bin/env python3
"""Compare `srg attribute` with the ChannelAttribution package on the same path file.

Generates a seeded synthetic path file, runs ChannelAttribution's heuristic_models and
markov_model and `srg attribute --model all`, prints both results side by side with the
largest relative differences, and the time each took. With --fixture DIR it also writes
the input and ChannelAttribution's outputs as test fixtures (the Go tests read them, so
`make test` never needs Python).

    python3 -m venv /tmp/ca && /tmp/ca/bin/pip install ChannelAttribution pandas matplotlib
    go build -o /tmp/srg . && /tmp/ca/bin/python scripts/compare-channelattribution.py \
        --srg /tmp/srg --rows 1000000 --order 1

Heuristics must be equal; Markov credits should agree within 1% (ChannelAttribution
simulates random walks, srg solves the chain exactly). Requires ChannelAttribution >= 2.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile
import time

import ChannelAttribution as ca
import pandas as pd


def generate(path, rows, channels, seed):
    rng = random.Random(seed)
    names = ["C%02d" % (i + 1) for i in range(channels)]
    lift = [0.02 + 0.1 * rng.random() for _ in names]
    with open(path, "w") as f:
        f.write("path,total_conversions,total_conversion_value,total_null\n")
        for _ in range(rows):
            n = 1
            while n < 12 and rng.random() < 0.55:
                n += 1
            chs = [int(channels * rng.random() * rng.random()) for _ in range(n)]
            p = min(0.9, sum(lift[c] for c in chs))
            total = 1 + rng.randrange(20)
            conv = sum(rng.random() < p for _ in range(total))
            value = conv * (50 + rng.randrange(450))
            f.write("%s,%d,%d,%d\n" % (" > ".join(names[c] for c in chs), conv, value, total - conv))


def max_rel(a, b):
    worst = 0.0
    for x, y in zip(a, b):
        if max(abs(x), abs(y)) > 0:
            worst = max(worst, abs(x - y) / max(abs(x), abs(y)))
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--srg", default="srg", help="srg binary")
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--channels", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--order", type=int, default=1)
    ap.add_argument("--nsim", type=float, default=1e6, help="ChannelAttribution's nsim_start")
    ap.add_argument("--paths", help="use this path file instead of generating one")
    ap.add_argument("--fixture", help="write the input and ChannelAttribution's results to this directory")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp()
    src = args.paths or os.path.join(tmp, "paths.csv")
    if not args.paths:
        generate(src, args.rows, args.channels, args.seed)

    t0 = time.perf_counter()
    data = pd.read_csv(src)
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    heur = ca.heuristic_models(data, "path", "total_conversions", var_value="total_conversion_value", sep=">", flg_pro=False)
    t_heur = time.perf_counter() - t0
    t0 = time.perf_counter()
    mk = ca.markov_model(data, "path", "total_conversions", var_value="total_conversion_value", var_null="total_null",
                         order=args.order, nsim_start=args.nsim, out_more=True, sep=">", verbose=False, seed=args.seed,
                         flg_pro=False)
    t_markov = time.perf_counter() - t0

    out = os.path.join(tmp, "srg.csv")
    t0 = time.perf_counter()
    subprocess.run([args.srg, "attribute", "--paths", src, "--model", "all", "--order", str(args.order), "--out", out],
                   check=True, stdout=subprocess.DEVNULL)
    t_srg = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([args.srg, "attribute", "--paths", src, "--model", "markov", "--order", str(args.order), "--out", out + ".m"],
                   check=True, stdout=subprocess.DEVNULL)
    t_srg_markov = time.perf_counter() - t0
    srg = pd.read_csv(out)

    def ours(model, col):
        m = srg[srg.model == model].set_index("channel_name")[col]
        return [float(m.get(ch, 0.0)) for ch in heur.channel_name]

    print("channel ChannelAttribution vs srg (conversions)")
    ok = True
    for model in ("first_touch", "last_touch", "linear_touch"):
        for kind, col in (("conversions", "total_conversions"), ("value", "total_conversion_value")):
            theirs = list(heur[model + "_" + kind])
            mine = ours(model, col)
            d = max_rel(theirs, mine)
            ok &= d < 1e-9
            print("%-13s %-11s max relative difference %.2e %s" % (model, kind, d, "OK" if d < 1e-9 else "DIFFERENT"))
    res = mk["result"]
    for kind, col in (("conversions", "total_conversions"), ("value", "total_conversion_value")):
        theirs = list(res[col])
        m = srg[srg.model == "markov"].set_index("channel_name")[col]
        mine = [float(m.get(ch, 0.0)) for ch in res.channel_name]
        d = max_rel(theirs, mine)
        ok &= d < 0.01
        print("markov(%d)     %-11s max relative difference %.2e %s" % (args.order, kind, d, "OK" if d < 0.01 else "OVER 1%"))
        if kind == "conversions":
            for ch, a, b in zip(res.channel_name, theirs, mine):
                print("    %-10s %12.3f %12.3f" % (ch, a, b))
    print("rows=%d channels=%d order=%d" % (sum(1 for _ in open(src)) - 1, len(heur), args.order))
    print("seconds_channelattribution_read_csv=%.3f" % t_read)
    print("seconds_channelattribution_heuristics=%.3f" % t_heur)
    print("seconds_channelattribution_markov=%.3f" % t_markov)
    print("seconds_srg_attribute_all=%.3f" % t_srg)
    print("seconds_srg_attribute_markov=%.3f" % t_srg_markov)
    print("markov_speed_ratio=%.1f (ChannelAttribution markov_model incl. CSV read / srg attribute --model markov)" % ((t_read + t_markov) / t_srg_markov))

    if args.fixture:
        os.makedirs(args.fixture, exist_ok=True)
        data.to_csv(os.path.join(args.fixture, "paths.csv"), index=False)
        heur.to_csv(os.path.join(args.fixture, "heuristic_models.csv"), index=False, float_format="%.17g")
        res.to_csv(os.path.join(args.fixture, "markov_model_order%d.csv" % args.order), index=False, float_format="%.17g")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
