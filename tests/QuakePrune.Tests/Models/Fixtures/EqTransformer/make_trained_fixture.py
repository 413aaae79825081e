#!/usr/bin/python3
"""Makes seisbench_eqtransformer_trained_batch2.safetensors: a QuakePrune eqtransformer checkpoint trained here, loaded
strictly into SeisBench's EQTransformer (default arguments, eval mode), and SeisBench's curves for two earthquake windows
preprocessed by our own pipeline. Not run by the tests (they never run Python, nor read /work/shared); made once by hand,
with the reference runner that builds SeisBench's model (see NOTICE.md), from the repository root:

    ./quakeprune synth --out /tmp/fx/synth --traces 200 --seed 5
    ./quakeprune extract --input /tmp/fx/synth --out /tmp/fx/subset --per-class 80
    ./quakeprune train --arch eqtransformer --data /tmp/fx/subset --out /tmp/fx/run --epochs 2 --batch 16 --threads 2
    ./quakeprune pick --model /tmp/fx/run/model.safetensors --subset /tmp/fx/subset --out /tmp/fx/p.csv --curves /tmp/fx/c.h5
    /usr/bin/python3 tests/QuakePrune.Tests/Models/Fixtures/EqTransformer/make_trained_fixture.py \\
        /tmp/fx/run/model.safetensors /tmp/fx/c.h5 /work/shared/bench/eqtransformer.py \\
        tests/QuakePrune.Tests/Models/Fixtures/EqTransformer/seisbench_eqtransformer_trained_batch2.safetensors

The input is curves.h5's `input` (our preprocessing, as `pick` feeds the network) for the first two traces whose names end
in _EV (STEAD's earthquake suffix). The output holds `weights.<name>` for every state tensor (SeisBench's state dict after
the load), `input` (2 x 3 x 6000) and `detection`, `p`, `s` (2 x 6000, after the sigmoid), in the layout of the runner's
`fixture` subcommand. It also prints how far SeisBench's curves are from the ones `pick` wrote for the same traces.
"""
import importlib.util, json, os, sys
import h5py, numpy as np, torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from safetensors_reader import read_safetensors

checkpoint, curves_h5, runner_path, out = sys.argv[1:5]
# The reference runner: SeisBench's model file with the rest of SeisBench stubbed out; its build() and write_safetensors().
spec = importlib.util.spec_from_file_location("eqtransformer_runner", runner_path)
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)

state, meta = read_safetensors(checkpoint)
training = {k: v for k, v in meta.items() if k.startswith("training.")}
if not training:
    sys.exit(f"{checkpoint} has no training notes in __metadata__: not a trained checkpoint")
if json.loads(meta["architecture"])["builder"] != "eqtransformer":
    sys.exit(f"{checkpoint} is not an eqtransformer checkpoint")

torch.set_num_threads(2)
model = runner.build()
# Same names; only num_batches_tracked may need SeisBench's dtype and 0-d shape. Nothing is filled in: strict load.
reference = model.state_dict()
state = {k: v.to(reference[k].dtype).reshape(reference[k].shape) if k in reference else v for k, v in state.items()}
model.load_state_dict(state, strict=True)
model.eval()

with h5py.File(curves_h5, "r") as f:
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in f["trace_name"][:]]
    rows = [i for i, n in enumerate(names) if n.endswith("_EV")][:2]
    if len(rows) < 2:
        sys.exit(f"{curves_h5} has fewer than two earthquake traces")
    x = torch.from_numpy(np.ascontiguousarray(f["input"][rows], dtype=np.float32))
    ours = {k: torch.from_numpy(np.ascontiguousarray(f[k][rows], dtype=np.float32)) for k in ("detection", "p", "s")}

with torch.no_grad():
    detection, p, s = model(x)
curves = {"detection": detection, "p": p, "s": s}

tensors = {f"weights.{k}": v.float() if v.is_floating_point() else v for k, v in model.state_dict().items()}
tensors["input"] = x
tensors.update(curves)
runner.write_safetensors(out, tensors)

var = [v for k, v in model.state_dict().items() if k.endswith("running_var")]
print(json.dumps({
    "out": out, "bytes": os.path.getsize(out), "tensors": len(tensors), "traces": [names[i] for i in rows],
    "training": training,
    "running_var_not_one": sum(int((v != 1).any()) for v in var), "running_var_tensors": len(var),
    "largest_difference_from_pick": {k: float((curves[k] - ours[k]).abs().max()) for k in curves},
    "curve_range": {k: [float(c.min()), float(c.max())] for k, c in curves.items()},
}, indent=1))
