#!/usr/bin/python3
"""Writes the PyTorch reference values for the 1-d and recurrent layers' parity tests (LayerParityTests.cs).

Run once, from this folder, with Debian's python3-torch (1.13):

    /usr/bin/python3 make_layer_fixtures.py [--seisbench-runner /work/shared/bench/eqtransformer.py]

One safetensors file per layer kind. Each holds several cases; for a case C the metadata entry C is a JSON object
with the layer's arguments and the seed it was built under, and the tensors are
  C.state.<name>   the layer's state dict, PyTorch's names (for conv1d, lstm, gru and linear: PyTorch's own
                   initialisation right after torch.manual_seed(seed); elsewhere random values set here)
  C.input ...      the inputs; C.output ... the outputs (eval mode unless the case says otherwise)
  C.grad_output.*  fixed random weights g; the loss is sum over outputs of (output * g).sum()
  C.grad.*         d loss / d input and / d every parameter
The additive self-attention, channel layer normalisation and feed-forward are SeisBench's own classes
(seisbench/models/eqtransformer.py at commit afac5f1), loaded through the EQTransformer reference runner, which
stubs out the rest of SeisBench; only their numbers are kept here.
"""
import argparse
import importlib.util
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {torch.float32: "F32", torch.int64: "I64"}


def save(name, cases):
    """cases: {case: (config dict, {tensor name: tensor})} -> name.safetensors (tensors sorted by name)."""
    tensors, metadata = {}, {}
    for case, (config, values) in cases.items():
        metadata[case] = json.dumps(config, sort_keys=True)
        for key, value in values.items():
            tensors[f"{case}.{key}"] = value.detach().contiguous()
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for key in sorted(tensors):
        t = tensors[key]
        data = t.numpy().tobytes()
        header[key] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    path = os.path.join(HERE, name + ".safetensors")
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for data in blobs:
            f.write(data)
    os.replace(path + ".tmp", path)
    print(f"{path}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")


def run(module, inputs, forward, seed):
    """Forward (recording gradients), then backward of sum(output * g) over every output; returns the tensors to store."""
    torch.manual_seed(seed + 1000)
    inputs = {k: v.detach().clone().requires_grad_(v.is_floating_point()) for k, v in inputs.items()}
    outputs = forward(module, **inputs)
    grad_outputs = {k: torch.randn_like(v) for k, v in outputs.items()}
    loss = sum((outputs[k] * grad_outputs[k]).sum() for k in outputs)
    loss.backward()
    stored = {f"state.{k}": v for k, v in module.state_dict().items()}
    stored.update(inputs)
    stored.update(outputs)
    stored.update({f"grad_output.{k}": v for k, v in grad_outputs.items()})
    stored.update({f"grad.{k}": v.grad for k, v in inputs.items() if v.grad is not None})
    stored.update({f"grad.{k}": p.grad for k, p in module.named_parameters()})
    return stored


def single(module, input):
    return {"output": module(input)}


def randomise(module, scale=0.5):
    """Replaces every floating-point state tensor with N(0, scale^2) values (so ones/zeros initialisations are exercised too)."""
    with torch.no_grad():
        for value in module.state_dict().values():
            if value.is_floating_point():
                value.copy_(torch.randn_like(value) * scale)


def conv1d():
    cases = {}
    for seed, (case, args, shape) in enumerate([
        ("eqt_encoder_first", dict(in_channels=3, out_channels=8, kernel_size=11, padding=5), (2, 3, 40)),
        ("strided_dilated_grouped", dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=2, dilation=2, groups=2),
         (2, 4, 17)),
        ("even_kernel_no_bias", dict(in_channels=4, out_channels=4, kernel_size=2, bias=False), (1, 4, 9)),
    ]):
        torch.manual_seed(seed)
        module = nn.Conv1d(**args)
        cases[case] = ({"seed": seed, **args}, run(module, {"input": torch.randn(shape)}, single, seed))
    save("conv1d", cases)


def max_pool1d():
    cases = {}
    for seed, (case, args, shape) in enumerate([
        ("eqt_pool", dict(kernel_size=2), (2, 3, 11)),
        ("padded_ceil", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 2, 10)),
        ("dilated", dict(kernel_size=2, stride=1, dilation=2), (1, 2, 9)),
    ]):
        torch.manual_seed(seed)
        cases[case] = ({"seed": seed, **args}, run(nn.MaxPool1d(**args), {"input": torch.randn(shape)}, single, seed))
    save("max_pool1d", cases)


def pad():
    cases = {}
    for seed, (case, args, shape) in enumerate([
        ("eqt_pool_pad", dict(pad=[0, 1], mode="constant", value=-1e10), (2, 3, 11)),
        ("res_cnn_pad", dict(pad=[0, 1], mode="constant", value=0.0), (2, 3, 6)),
        ("both_sides", dict(pad=[2, 3], mode="constant", value=0.5), (1, 2, 5)),
        ("crop_and_pad", dict(pad=[-1, 2], mode="constant", value=0.0), (1, 2, 5)),
        ("reflect", dict(pad=[2, 1], mode="reflect"), (2, 2, 5)),
        ("replicate", dict(pad=[1, 3], mode="replicate"), (2, 2, 5)),
    ]):
        torch.manual_seed(seed)
        forward = lambda _, input, a=args: {"output": F.pad(input, a["pad"], a["mode"], **({"value": a["value"]} if "value" in a else {}))}
        cases[case] = ({"seed": seed, **args}, run(nn.Module(), {"input": torch.randn(shape)}, forward, seed))
    save("pad", cases)


def upsample():
    cases = {}
    for seed, (case, args, shape) in enumerate([
        ("eqt_decoder", dict(scale_factor=2.0, mode="nearest"), (2, 3, 12)),
        ("scale_3", dict(scale_factor=3.0, mode="nearest"), (1, 2, 5)),
        ("scale_1_5", dict(scale_factor=1.5, mode="nearest"), (1, 2, 7)),
        ("size_17", dict(size=17, mode="nearest"), (1, 2, 6)),
    ]):
        torch.manual_seed(seed)
        cases[case] = ({"seed": seed, **args}, run(nn.Upsample(**args), {"input": torch.randn(shape)}, single, seed))
    save("upsample", cases)


def batch_norm1d():
    """Two training steps (outputs, gradients of the first, running statistics after), then one eval step."""
    cases = {}
    for seed, (case, args, shape) in enumerate([
        ("eqt_res_cnn", dict(num_features=8, eps=1e-3), (3, 8, 10)),
        ("flat_cumulative", dict(num_features=5, momentum=None), (6, 5)),
    ]):
        torch.manual_seed(seed)
        module = nn.BatchNorm1d(**args)
        with torch.no_grad():
            module.weight.copy_(torch.randn(args["num_features"]))
            module.bias.copy_(torch.randn(args["num_features"]))
        initial = {f"state.{k}": v.clone() for k, v in module.state_dict().items()}
        inputs = [torch.randn(shape) * 2 + 1 for _ in range(3)]
        module.train()
        stored = run(module, {"input": inputs[0]}, single, seed)
        stored = {k: v for k, v in stored.items() if not k.startswith("state.")}
        stored.update(initial)
        with torch.no_grad():
            stored["input_2"], stored["output_2"] = inputs[1], module(inputs[1])
            module.eval()
            stored["input_eval"], stored["output_eval"] = inputs[2], module(inputs[2])
        stored.update({f"state_after.{k}": v.clone() for k, v in module.state_dict().items()})
        cases[case] = ({"seed": seed, **args}, stored)
    save("batch_norm1d", cases)


def recurrent(kind):
    cls = {"lstm": nn.LSTM, "gru": nn.GRU}[kind]
    cases = {}
    specs = [
        ("eqt_bidirectional", dict(input_size=8, hidden_size=4, bidirectional=True), (9, 2, 8), False),
        ("stacked_batch_first_h0", dict(input_size=5, hidden_size=3, num_layers=2, batch_first=True), (2, 6, 5), True),
        ("stacked_bidirectional", dict(input_size=4, hidden_size=3, num_layers=2, bidirectional=True), (5, 1, 4), False),
        ("unbatched", dict(input_size=3, hidden_size=2), (4, 3), False),
        ("no_bias", dict(input_size=3, hidden_size=2, bias=False), (4, 2, 3), False),
    ]
    for seed, (case, args, shape, with_state) in enumerate(specs):
        torch.manual_seed(seed)
        module = cls(**args)
        module.eval()
        layers = args.get("num_layers", 1) * (2 if args.get("bidirectional") else 1)
        state_shape = (layers, args["hidden_size"]) if len(shape) == 2 else (layers, shape[0 if args.get("batch_first") else 1],
                                                                              args["hidden_size"])
        inputs = {"input": torch.randn(shape)}
        if with_state:
            inputs["h0"] = torch.randn(state_shape)
            if kind == "lstm":
                inputs["c0"] = torch.randn(state_shape)

        def forward(m, input, h0=None, c0=None):
            if kind == "lstm":
                output, (h, c) = m(input, None if h0 is None else (h0, c0))
                return {"output": output, "h_n": h, "c_n": c}
            output, h = m(input, h0)
            return {"output": output, "h_n": h}

        cases[case] = ({"seed": seed, **args}, run(module, inputs, forward, seed))
    save(kind, cases)


def seisbench_layers(runner):
    spec = importlib.util.spec_from_file_location("eqtransformer_reference", runner)
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    reference.build()  # loads seisbench/models/eqtransformer.py with SeisBench stubbed out
    seisbench = sys.modules["seisbench.models.eqtransformer"]

    def attention_forward(m, input):
        output, weights = m(input)
        return {"output": output, "weights": weights}

    cases = {}
    for seed, (case, args, shape) in enumerate([
        ("global", dict(input_size=16, units=32, attention_width=None, eps=1e-5), (2, 16, 12)),
        ("local_width_3", dict(input_size=16, units=32, attention_width=3, eps=1e-5), (2, 16, 12)),
        ("local_width_4", dict(input_size=6, units=8, attention_width=4, eps=1e-7), (1, 6, 9)),
    ]):
        torch.manual_seed(seed)
        module = seisbench.SeqSelfAttention(**args)
        randomise(module)
        cases[case] = ({"seed": seed, **args}, run(module, {"input": torch.randn(shape)}, attention_forward, seed))
    save("additive_self_attention", cases)

    cases = {}
    for seed, (case, args, shape) in enumerate([
        ("eqt", dict(filters=16), (2, 16, 12)),
        ("eps", dict(filters=5, eps=1e-3), (3, 5, 7)),
    ]):
        torch.manual_seed(seed)
        module = seisbench.LayerNormalization(**args)
        randomise(module)
        cases[case] = ({"seed": seed, **args}, run(module, {"input": torch.randn(shape) * 3 + 1}, single, seed))
    save("channel_layer_norm", cases)

    cases = {}
    for seed, (case, args, shape) in enumerate([
        ("eqt", dict(io_size=16, drop_rate=0.1, hidden_size=128), (2, 16, 12)),
        ("narrow", dict(io_size=4, drop_rate=0.1, hidden_size=6), (1, 4, 5)),
    ]):
        torch.manual_seed(seed)
        module = seisbench.FeedForward(**args)
        module.eval()
        cases[case] = ({"seed": seed, **args}, run(module, {"input": torch.randn(shape)}, single, seed))
    save("positionwise_feed_forward", cases)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seisbench-runner", default="/work/shared/bench/eqtransformer.py",
                        help="the EQTransformer reference runner (it loads SeisBench's model file beside it)")
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    conv1d()
    max_pool1d()
    pad()
    upsample()
    batch_norm1d()
    recurrent("lstm")
    recurrent("gru")
    seisbench_layers(arguments.seisbench_runner)


if __name__ == "__main__":
    main()
