#!/usr/bin/env python3
"""SeisBench's EQTransformer trained under PyTorch on a QuakePrune subset, with QuakePrune's recipe: the twin of
`quakeprune train --arch eqtransformer`, so that a difference in what the two learn is a defect of one side and a shared
failure is the recipe's.

  eqt_learn.py --reference .../eqtransformer.py --subset DIR [--epochs N] [--batch B] [--lr LR] [--sigma S]
               [--half-width W] [--loss logits|bce|keras] [--threads T] [--seed S] [--check-inputs CURVES.h5]

The rules are QuakePrune's (lib/QuakePrune.Study/Picking/README.md), written again here from their description:
- input: STEAD's 6000 x 3 (E, N, Z) as 3 x 6000 in the order Z, N, E; each component demeaned, the window divided by its
  standard deviation over all 18,000 values (unbiased) + 1e-10, a six-sample cosine taper at both ends;
- labels: detection 1 from the first arrival (P, else S) up to the coda end; P and S a Gaussian of standard deviation
  --sigma samples, cut --half-width samples either side of the rounded pick; noise all zero;
- loss: 0.05 detection + 0.40 P + 0.55 S binary cross-entropy, on the logits (`logits`, QuakePrune's since issue 22), on
  probabilities as PyTorch's BCELoss (`bce`), or on probabilities clipped to [1e-7, 1 - 1e-7] as Keras (`keras`: what
  QuakePrune did before issue 22);
- Adam (eps 1e-7), the train split shuffled each epoch, batches of --batch;
- scores on dev at thresholds 0.5: detection when the detection curve's maximum is >= 0.5; one P and one S pick per trace,
  the curve's argmax when its maximum is >= 0.5 and the trace is detected; a pick within 50 samples of the catalogue's is
  a true positive.
--check-inputs compares the inputs built here with those `quakeprune pick --curves` fed the network (dataset `input`).
Prints one JSON line per epoch. Needs Debian's python3-torch, python3-h5py and python3-numpy.
"""
import argparse, csv, importlib.util, json, math, os, sys, time

import h5py
import numpy as np
import torch

SAMPLES, TOLERANCE = 6000, 50
WEIGHTS = (0.05, 0.40, 0.55)


def number(text):
    try:
        value = float(text.strip().strip("[]"))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_subset(folder):
    rows = list(csv.DictReader(open(os.path.join(folder, "subset.csv"), newline="")))
    for r in rows:
        quake = r["trace_category"] != "noise"
        r["truth"] = (quake, number(r["p_arrival_sample"]) if quake else None, number(r["s_arrival_sample"]) if quake else None,
                      number(r["coda_end_sample"]) if quake else None)
    return rows


def taper():
    return 0.5 * (1 + np.cos(np.linspace(np.pi, 2 * np.pi, 6)))


def preprocess(trace):
    x = np.asarray(trace, dtype=np.float64).T[[2, 1, 0]]  # E, N, Z samples-first -> Z, N, E channels-first
    x = x - x.mean(axis=1, keepdims=True)
    x = x / (x.std(ddof=1) + 1e-10)
    t = taper()
    x[:, :6] *= t
    x[:, -6:] *= t[::-1]
    return x.astype(np.float32)


def labels(truth, sigma, half_width):
    quake, p, s, coda = truth
    d, curves = np.zeros(SAMPLES, np.float32), [np.zeros(SAMPLES, np.float32), np.zeros(SAMPLES, np.float32)]
    if not quake:
        return d, curves[0], curves[1]
    first = p if p is not None else s
    start, end = int(min(max(math.ceil(first), 0), SAMPLES)), int(min(max(math.ceil(coda), 0), SAMPLES))
    d[start:end] = 1
    t = np.arange(SAMPLES)
    for curve, pick in zip(curves, (p, s)):
        if pick is None:
            continue
        centre = round(pick)
        window = np.abs(t - centre) <= half_width
        curve[window] = np.exp(-((t[window] - pick) ** 2) / (2 * sigma * sigma))
    return d, curves[0], curves[1]


def load(folder, rows, sigma, half_width):
    with h5py.File(os.path.join(folder, "subset.hdf5"), "r") as f:
        x = np.stack([preprocess(f["data"][r["trace_name"]][()]) for r in rows])
    y = [np.stack(c) for c in zip(*(labels(r["truth"], sigma, half_width) for r in rows))]
    return torch.from_numpy(x), [torch.from_numpy(c) for c in y]


def loss_of(outputs, targets, kind):
    total = 0
    for w, z, y in zip(WEIGHTS, outputs, targets):
        if kind == "logits":
            term = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
        else:
            x = torch.sigmoid(z)
            if kind == "keras":
                x = x.clamp(1e-7, 1 - 1e-7)
            term = torch.nn.functional.binary_cross_entropy(x, y)
        total = total + w * term
    return total


def f1(tp, fp, fn):
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else None


def scores(curves, rows):
    """F1 at thresholds 0.5, and for P and S the share of scored earthquakes whose curve peaks within 50 samples of the
    catalogue's pick, whatever its height (learning shows there before the peaks pass 0.5)."""
    det, p, s = (c.numpy() for c in curves)
    counts = {"d": [0, 0, 0], "p": [0, 0, 0], "s": [0, 0, 0]}
    near = {"p": [0, 0], "s": [0, 0]}
    for i, r in enumerate(rows):
        quake, tp_pick, ts_pick, _ = r["truth"]
        detected = det[i].max() >= 0.5
        if detected and quake: counts["d"][0] += 1
        elif detected: counts["d"][1] += 1
        elif quake: counts["d"][2] += 1
        for key, curve, truth in (("p", p[i], tp_pick), ("s", s[i], ts_pick)):
            scored = quake and truth is not None and 0 <= truth < SAMPLES
            if quake and not scored:
                continue
            if scored:
                near[key][0] += abs(int(curve.argmax()) - truth) <= TOLERANCE
                near[key][1] += 1
            pick = int(curve.argmax()) if detected and curve.max() >= 0.5 else None
            if pick is None:
                if scored: counts[key][2] += 1
            elif scored and abs(pick - truth) <= TOLERANCE:
                counts[key][0] += 1
            else:
                counts[key][1] += 1
                if scored: counts[key][2] += 1
    result = {k: f1(*v) for k, v in counts.items()}
    result.update({f"{k}_peak_within": v[0] / v[1] if v[1] else None for k, v in near.items()})
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", required=True)
    ap.add_argument("--subset", required=True)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--sigma", type=float, default=10)
    ap.add_argument("--half-width", type=int, default=20)
    ap.add_argument("--loss", choices=["logits", "bce", "keras"], default="logits")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check-inputs")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    spec = importlib.util.spec_from_file_location("reference", a.reference)
    reference = importlib.util.module_from_spec(spec); spec.loader.exec_module(reference)
    model = reference.build()

    rows = read_subset(a.subset)
    split = {name: [r for r in rows if r["split"] == name] for name in ("train", "dev")}
    train_x, train_y = load(a.subset, split["train"], a.sigma, a.half_width)
    dev_x, dev_y = load(a.subset, split["dev"], a.sigma, a.half_width)
    if a.check_inputs:
        with h5py.File(a.check_inputs, "r") as f:
            names = [n.decode() if isinstance(n, bytes) else n for n in f["trace_name"][()]]
            ours = dict(zip(names, f["input"][()]))
        diff = max(float(np.abs(ours[r["trace_name"]] - train_x[i].numpy()).max()) for i, r in enumerate(split["train"]))
        print(json.dumps({"check": "inputs", "traces": len(split["train"]), "max_abs_diff": diff}), flush=True)
        if diff > 1e-4:
            sys.exit(f"eqt_learn.py: the inputs built here differ from QuakePrune's by {diff}")

    optimizer = torch.optim.Adam(model.parameters(), lr=a.lr, eps=1e-7)
    generator = torch.Generator().manual_seed(a.seed)
    for epoch in range(1, a.epochs + 1):
        model.train()
        order = torch.randperm(len(split["train"]), generator=generator)
        clock, total = time.perf_counter(), 0.0
        for start in range(0, len(order), a.batch):
            index = order[start:start + a.batch]
            optimizer.zero_grad()
            loss = loss_of(model(train_x[index], logits=True), [y[index] for y in train_y], a.loss)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
        seconds = time.perf_counter() - clock
        model.eval()
        with torch.no_grad():
            logits = [torch.cat(c) for c in zip(*(model(dev_x[i:i + a.batch], logits=True) for i in range(0, len(dev_x), a.batch)))]
            dev_loss = loss_of(logits, dev_y, a.loss).item()
        f = scores([torch.sigmoid(z) for z in logits], split["dev"])
        print(json.dumps({"side": "pytorch", "loss": a.loss, "epoch": epoch, "train_loss": total / len(order), "dev_loss": dev_loss,
                          "dev_detection_f1": f["d"], "dev_p_f1": f["p"], "dev_s_f1": f["s"],
                          "dev_p_peak_within_0.5s": f["p_peak_within"], "dev_s_peak_within_0.5s": f["s_peak_within"],
                          "traces_per_s": len(order) / seconds}), flush=True)


if __name__ == "__main__":
    main()
