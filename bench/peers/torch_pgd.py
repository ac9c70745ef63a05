# Benchmark peer: PGD (L∞, random start, CE on logits) or Square (L∞, margin loss) over a test set in PyTorch (CPU),
# on the model bench/attack.ts wrote.
import argparse
import json
import os
import sys
import time

from torch_common import pgd_robust, square_robust, torch  # loads torch, or says why not
import numpy as np
import torch.nn as nn

ap = argparse.ArgumentParser()
ap.add_argument("dir", help="folder holding job.json, params.f32, images.f32, labels.u8")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
job = json.load(open(os.path.join(args.dir, "job.json")))
widths, n, rows, eps, steps = job["widths"], job["count"], job["rows"], job["eps"], job["steps"]
size = job["stepSize"] * eps

# The flat vector holds, per layer, the weight [in, out] then the bias [out]; nn.Linear keeps weight [out, in].
flat = torch.from_numpy(np.fromfile(os.path.join(args.dir, "params.f32"), dtype=np.float32))
layers, at = [], 0
for i, (fan_in, fan_out) in enumerate(zip(widths, widths[1:])):
    lin = nn.Linear(fan_in, fan_out)
    with torch.no_grad():
        lin.weight.copy_(flat[at : at + fan_in * fan_out].view(fan_in, fan_out).t())
        at += fan_in * fan_out
        lin.bias.copy_(flat[at : at + fan_out])
        at += fan_out
    layers += [lin, nn.LeakyReLU(job["slope"])] if i < len(widths) - 2 else [lin]
assert at == flat.numel(), f"params.f32 holds {flat.numel()} values, the layout {widths} needs {at}"
model = nn.Sequential(*layers).eval().requires_grad_(False)
images = torch.from_numpy(np.fromfile(os.path.join(args.dir, "images.f32"), dtype=np.float32)).view(n, widths[0])
labels = torch.from_numpy(np.fromfile(os.path.join(args.dir, "labels.u8"), dtype=np.uint8)).long()


def pgd(x, y):
    if job.get("routine") == "square":
        return square_robust(model, x, y, eps, steps, int(round(widths[0] ** 0.5)))
    return pgd_robust(model, x, y, eps, steps, size)


pgd(images[:rows], labels[:rows])  # warm-up
t0 = time.perf_counter()
robust = sum(int(pgd(images[i : i + rows], labels[i : i + rows]).sum()) for i in range(0, n, rows))
seconds = time.perf_counter() - t0
nt = torch.get_num_threads()
engine = f"torch {torch.__version__} cpu, {nt} threads (OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}), python {sys.version.split()[0]}"
print(json.dumps({"seconds": seconds, "robust": robust / n, "engine": engine}))
