#!/usr/bin/python3
"""Write the pytorch_model.bin fixtures for the Go package model/torchbin.

Run from the repository root with Debian's python3-torch (not a pyenv python):

    /usr/bin/python3 scripts/make_torchbin_fixtures.py

It writes small files into model/torchbin/testdata/:

  module.bin      state_dict() of a real nn.Module (Linear + LayerNorm +
                  Embedding, float32): an OrderedDict with a _metadata attribute
  dtypes.bin      one tensor of every supported dtype, plus a 0-d scalar and an
                  empty tensor
  views.bin       a transposed (non-contiguous) view, a narrowed view with a
                  storage offset, a tied weight (the same tensor twice), an
                  expand()ed tensor with stride 0 (like BERT's position_ids)
  plain_dict.bin  a plain dict, not an OrderedDict
  protocol4.bin   the module's state dict pickled with protocol 4 (FRAME,
                  MEMOIZE, SHORT_BINUNICODE, ...)
  parameters.bin  state_dict(keep_vars=True): values are nn.Parameter
                  (torch._utils._rebuild_parameter)
  legacy.bin      the pre-1.6 (non-zip) torch.save format of views.bin's dict
  malicious.bin   a zip whose data.pkl, written by hand, calls os.system
  expected.json   {file: {key: {dtype, shape, values, hex}}} from the original
                  tensors: values from .tolist(), hex from the contiguous bytes

Everything is seeded; a rerun with the same torch build writes the same values.
(legacy.bin names its storages by memory address, so its bytes change from run
to run; its values do not.) Every .bin file is loaded back with torch.load and
compared with the original before expected.json is written.
"""

from __future__ import annotations

import collections
import io
import json
import os
import pickle
import sys
import zipfile

import torch

OUT = os.path.join("model", "torchbin", "testdata")

DTYPE_NAMES = {
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float64: "F64",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


class Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(5, 4)
        self.proj = torch.nn.Linear(4, 3)
        self.norm = torch.nn.LayerNorm(3)


def module_state():
    torch.manual_seed(1)
    m = Tiny()
    with torch.no_grad():
        # Non-trivial LayerNorm values (the defaults are all ones / zeros).
        m.norm.weight.copy_(1 + 0.1 * torch.randn(3))
        m.norm.bias.copy_(0.1 * torch.randn(3))
    return m


def dtype_tensors():
    torch.manual_seed(2)
    f = torch.randn(2, 3)
    d = collections.OrderedDict()
    d["f32"] = f.clone()
    d["f16"] = f.to(torch.float16)
    d["bf16"] = f.to(torch.bfloat16)
    d["f64"] = f.to(torch.float64) / 3
    d["i64"] = torch.tensor([[0, -1, 2**40 + 7], [2**62 + 1, -(2**63), 9]], dtype=torch.int64)
    d["i32"] = torch.tensor([-(2**31), 2**31 - 1, 5], dtype=torch.int32)
    d["i16"] = torch.tensor([-32768, 32767, -2], dtype=torch.int16)
    d["i8"] = torch.tensor([-128, 127, 3], dtype=torch.int8)
    d["u8"] = torch.tensor([0, 255, 17], dtype=torch.uint8)
    d["bool"] = torch.tensor([[True, False, True], [False, False, True]])
    d["scalar_i64"] = torch.tensor(42, dtype=torch.int64)  # like num_batches_tracked
    d["empty"] = torch.zeros(0, 3)
    return d


def view_tensors():
    torch.manual_seed(3)
    base = torch.randn(3, 4)
    d = collections.OrderedDict()
    d["base"] = base
    d["transposed"] = base.t()  # shape (4, 3), stride (1, 4)
    d["narrowed"] = base[1:, 1:3]  # offset 5, shape (2, 2), stride (4, 1)
    d["tied_a"] = base[2]  # offset 8
    d["tied_b"] = d["tied_a"]  # the very same tensor
    d["position_ids"] = torch.arange(6).expand((1, -1))  # stride (0, 1)
    d["broadcast"] = torch.tensor([1.5, -2.0]).expand((3, 2))  # stride (0, 1), numel > storage
    d["sliced_step"] = torch.arange(10, dtype=torch.int32)[1::3]  # stride (3,)
    return d


def describe(t: torch.Tensor) -> dict:
    flat = t.detach().contiguous().reshape(-1)
    if t.dtype == torch.bool:
        raw = flat.to(torch.uint8).numpy().tobytes()
    else:
        raw = flat.view(torch.uint8).numpy().tobytes()
    return {
        "dtype": DTYPE_NAMES[t.dtype],
        "shape": list(t.shape),
        "values": t.detach().tolist(),
        "hex": raw.hex(),
    }


def save(name: str, obj, **kwargs) -> None:
    path = os.path.join(OUT, name)
    torch.save(obj, path, **kwargs)
    # Round trip through PyTorch itself, as a sanity check on the fixture.
    back = torch.load(path)
    assert list(back.keys()) == list(obj.keys()), name
    for k, v in obj.items():
        assert torch.equal(back[k], v), (name, k)


def malicious_pickle() -> bytes:
    # Written opcode by opcode: PROTO 2, GLOBAL 'os system', BINUNICODE 'echo pwned',
    # TUPLE1, REDUCE, STOP. Loading it with Python's pickle would run the command.
    cmd = b"echo pwned"
    return (
        b"\x80\x02"
        + b"cos\nsystem\n"
        + b"X" + len(cmd).to_bytes(4, "little") + cmd
        + b"\x85"
        + b"R"
        + b"."
    )


def main() -> int:
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    expected = {}

    m = module_state()
    sd = m.state_dict()
    assert isinstance(sd, collections.OrderedDict) and hasattr(sd, "_metadata")
    save("module.bin", sd)
    expected["module.bin"] = {k: describe(v) for k, v in sd.items()}

    save("protocol4.bin", sd, pickle_protocol=4)
    expected["protocol4.bin"] = expected["module.bin"]

    params = m.state_dict(keep_vars=True)
    assert all(isinstance(v, torch.nn.Parameter) for v in params.values())
    save("parameters.bin", params)
    expected["parameters.bin"] = {k: describe(v) for k, v in params.items()}

    dt = dtype_tensors()
    save("dtypes.bin", dt)
    expected["dtypes.bin"] = {k: describe(v) for k, v in dt.items()}

    views = view_tensors()
    assert not views["transposed"].is_contiguous()
    assert views["narrowed"].storage_offset() == 5
    assert views["broadcast"].stride() == (0, 1)
    save("views.bin", views)
    expected["views.bin"] = {k: describe(v) for k, v in views.items()}

    plain = {"weight": torch.tensor([[1.0, 2.0], [3.0, 4.0]]), "bias": torch.tensor([0.5, -0.5])}
    save("plain_dict.bin", plain)
    expected["plain_dict.bin"] = {k: describe(v) for k, v in plain.items()}

    save("legacy.bin", views, _use_new_zipfile_serialization=False)
    expected["legacy.bin"] = expected["views.bin"]

    with zipfile.ZipFile(os.path.join(OUT, "malicious.bin"), "w", zipfile.ZIP_STORED) as z:
        z.writestr("malicious/data.pkl", malicious_pickle())
        z.writestr("malicious/version", "3\n")

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print("torch", torch.__version__, "wrote", sorted(os.listdir(OUT)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
