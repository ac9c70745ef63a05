# Benchmark peer for bench/autoattack.ts: the original AutoAttack (its standard version, imported from a
# checkout of github.com/fra31/auto-attack at --autoattack DIR; nothing of it is copied here) on the model
# a3t exported to ONNX, rebuilt as a torch module from the ONNX file's own graph and weights.
# Reads from --dir: model.onnx, images.f32 [count, 784], labels.u8, logits.f32 (a3t's logits, to check the
# rebuilt module against). Prints one JSON line: times (total and per member), robust accuracy, the robust
# flag of every example, and how far the module's logits are from a3t's.
import argparse
import json
import os
import struct
import sys
import time

from torch_common import torch  # loads torch (Debian's python3-torch), or says why not
import numpy as np
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--autoattack", required=True, help="a checkout of github.com/fra31/auto-attack (the folder holding autoattack/)")
ap.add_argument("--dir", required=True)
ap.add_argument("--eps", type=float, default=0.1)
ap.add_argument("--bs", type=int, default=500, help="AutoAttack's batch size")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)


# --- ONNX, read with a minimal protobuf decoder (the onnx package is not needed) ---------------------------
def fields(buf):
    """(field number, wire type, value) of a protobuf message: ints for varints, bytes otherwise."""
    at, out = 0, []
    while at < len(buf):
        key, at = varint(buf, at)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, at = varint(buf, at)
        elif wire == 1:
            v, at = buf[at:at + 8], at + 8
        elif wire == 5:
            v, at = buf[at:at + 4], at + 4
        elif wire == 2:
            n, at = varint(buf, at)
            v, at = buf[at:at + n], at + n
        else:
            raise ValueError(f"protobuf wire type {wire} not supported")
        out.append((num, wire, v))
    return out


def varint(buf, at):
    v, shift = 0, 0
    while True:
        b = buf[at]
        at += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return v, at


def signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def tensor(buf):
    """TensorProto (float32 only: a3t's exports) → (name, torch tensor)."""
    dims, dtype, name, raw, floats = [], 1, "", None, []
    for num, wire, v in fields(buf):
        if num == 1:
            dims += [signed(x) for x in (packed(v) if wire == 2 else [v])]
        elif num == 2:
            dtype = v
        elif num == 8:
            name = v.decode()
        elif num == 9:
            raw = v
        elif num == 4:
            floats += list(struct.unpack(f"<{len(v) // 4}f", v)) if wire == 2 else [struct.unpack("<f", v)[0]]
    if dtype != 1:
        raise ValueError(f"initializer {name}: element type {dtype}, only float32 is read")
    values = np.frombuffer(raw, dtype="<f4").copy() if raw is not None else np.array(floats, dtype=np.float32)
    return name, torch.from_numpy(values.reshape(dims))


def packed(v):
    at, out = 0, []
    while at < len(v):
        x, at = varint(v, at)
        out.append(x)
    return out


def attribute(buf):
    name, value = "", None
    for num, wire, v in fields(buf):
        if num == 1:
            name = v.decode()
        elif num == 2:
            value = struct.unpack("<f", v)[0]
        elif num == 3:
            value = signed(v)
        elif num == 8:
            value = (value or []) + [signed(x) for x in (packed(v) if wire == 2 else [v])]
    return name, value


def read_onnx(path):
    model = fields(open(path, "rb").read())
    graph = next(v for num, _, v in model if num == 7)
    nodes, weights, inputs, outputs = [], {}, [], []
    for num, _, v in fields(graph):
        if num == 1:
            node = {"inputs": [], "outputs": [], "op": "", "attrs": {}}
            for n2, _, v2 in fields(v):
                if n2 == 1:
                    node["inputs"].append(v2.decode())
                elif n2 == 2:
                    node["outputs"].append(v2.decode())
                elif n2 == 4:
                    node["op"] = v2.decode()
                elif n2 == 5:
                    k, val = attribute(v2)
                    node["attrs"][k] = val
            nodes.append(node)
        elif num == 5:
            k, t = tensor(v)
            weights[k] = t
        elif num in (11, 12):
            name = next(v2.decode() for n2, _, v2 in fields(v) if n2 == 1)
            (inputs if num == 11 else outputs).append(name)
    inputs = [i for i in inputs if i not in weights]
    return nodes, weights, inputs, outputs


class OnnxModule(torch.nn.Module):
    """The ONNX graph's nodes run as torch ops on the same weights (the ops a3t's dense exports use)."""

    def __init__(self, path):
        super().__init__()
        self.nodes, weights, (self.input,), (self.output,) = read_onnx(path)
        self.names = {}
        for i, (k, t) in enumerate(weights.items()):
            self.register_buffer(f"w{i}", t)
            self.names[k] = f"w{i}"
        for n in self.nodes:
            if n["op"] not in ("Gemm", "MatMul", "Add", "Relu", "LeakyRelu", "Identity"):
                raise ValueError(f"ONNX op {n['op']} is not supported by this peer (it reads a3t's dense exports)")

    def forward(self, x):
        env = {self.input: x.reshape(x.shape[0], -1)}
        get = lambda k: getattr(self, self.names[k]) if k in self.names else env[k]
        for n in self.nodes:
            a, op = n["attrs"], n["op"]
            ins = [get(k) for k in n["inputs"] if k]
            if op == "Gemm":
                A = ins[0].t() if a.get("transA", 0) else ins[0]
                B = ins[1].t() if a.get("transB", 0) else ins[1]
                y = a.get("alpha", 1.0) * (A @ B)
                if len(ins) > 2:
                    y = y + a.get("beta", 1.0) * ins[2]
            elif op == "MatMul":
                y = ins[0] @ ins[1]
            elif op == "Add":
                y = ins[0] + ins[1]
            elif op == "Relu":
                y = F.relu(ins[0])
            elif op == "LeakyRelu":
                y = F.leaky_relu(ins[0], a.get("alpha", 0.01))
            else:
                y = ins[0]
            env[n["outputs"][0]] = y
        return env[self.output]


# --- the run -------------------------------------------------------------------------------------------
sys.path.insert(0, os.path.abspath(args.autoattack))
from autoattack import AutoAttack  # noqa: E402

job = json.load(open(os.path.join(args.dir, "job.json")))
n, side = job["count"], job["side"]
model = OnnxModule(os.path.join(args.dir, "model.onnx")).eval()
x = torch.from_numpy(np.fromfile(os.path.join(args.dir, "images.f32"), dtype=np.float32)).view(n, 1, side, side)
y = torch.from_numpy(np.fromfile(os.path.join(args.dir, "labels.u8"), dtype=np.uint8)).long()
theirs = torch.from_numpy(np.fromfile(os.path.join(args.dir, "logits.f32"), dtype=np.float32)).view(n, -1)
with torch.no_grad():
    ours = model(x)
logits_diff = (ours - theirs).abs().max().item()
argmax_agree = int((ours.argmax(1) == theirs.argmax(1)).sum())

adversary = AutoAttack(model, norm="Linf", eps=args.eps, version="standard", device="cpu", seed=args.seed, verbose=True)
# Per-member time: each member's perturb calls, wrapped (AutoAttack prints only a running total).
MEMBERS = {"apgd-ce": adversary.apgd, "apgd-t": adversary.apgd_targeted, "fab-t": adversary.fab, "square": adversary.square}
spent = {k: 0.0 for k in MEMBERS}
for k, attack in MEMBERS.items():
    def timed(*a, _k=k, _run=attack.perturb, **kw):
        t0 = time.perf_counter()
        try:
            return _run(*a, **kw)
        finally:
            spent[_k] += time.perf_counter() - t0
    attack.perturb = timed
# AutoAttack's log goes to stdout: keep stdout for the JSON line.
real_stdout, sys.stdout = sys.stdout, sys.stderr
t0 = time.perf_counter()
_, y_adv = adversary.run_standard_evaluation(x, y, bs=args.bs, return_labels=True)
total = time.perf_counter() - t0
sys.stdout = real_stdout
robust = (y_adv == y).numpy().astype(np.uint8)
print(json.dumps({
    "torch": torch.__version__,
    "threads": torch.get_num_threads(),
    "count": n,
    "eps": args.eps,
    "bs": args.bs,
    "logitsMaxDiff": logits_diff,
    "argmaxAgree": argmax_agree,
    "clean": float((ours.argmax(1) == y).float().mean()),
    "seconds": total,
    "members": [{"name": k, "seconds": spent[k]} for k in MEMBERS],
    "robustAccuracy": float(robust.mean()),
    "robust": "".join(str(int(v)) for v in robust),
}))
