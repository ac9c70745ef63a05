# Benchmark peer: one PGD-AT training step of cnn-small (Wong et al. 2020's MNIST CNN) or cnn-madry (Madry et
# al. 2018's) in PyTorch (CPU):
# random start uniform in the L∞ ball, --steps signed-gradient steps of 0.25·ε (projected to the ball, then
# to [0, 1]), then the mean CE on the adversarial batch, backward and an Adam update, as a3t's pgd-at regime.
#
# Settings, measured once on the 2-core bench machine (torch 1.13.1 Debian, AVX2, MKL-DNN 2.6.3), the four
# variants interleaved in one process, 1 s windows, medians of 4 (samples/s, 1 thread; 2 threads with
# OMP_WAIT_POLICY=PASSIVE gave the same order, with another job busy on the machine):
#   eager, NCHW, mkldnn on (the default; the profiler shows aten::mkldnn_convolution)  1281 / 1339 / 1309
#   torch.backends.mkldnn.enabled = False (thnn slow_conv2d)                             610 /  640 /  645
#   channels_last model and input                                                      1233 / 1256 / 1091
#   torch.jit.trace'd forward (training through the trace)                             1292 / 1382 / 1355
# so mkldnn matters (2x), channels_last is a little slower and jit.trace is within noise (+0-4%): the default
# is plain eager NCHW with mkldnn on; --channels-last and --jit re-check the other two.
import argparse
import json
import os
import sys
import time

from torch_common import torch  # loads torch, or says why not
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--seconds", type=float, default=3.0)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--steps", type=int, default=10, help="attack steps")
ap.add_argument("--batch", type=int, default=128)
ap.add_argument("--model", choices=["cnn-small", "cnn-madry"], default="cnn-small")
ap.add_argument("--channels-last", action="store_true", help="channels_last model and input (measured slower)")
ap.add_argument("--jit", action="store_true", help="train through a torch.jit.trace'd forward (measured no faster)")
args = ap.parse_args()
torch.set_num_threads(args.threads)
B, EPS = args.batch, 0.3
STEP = 0.25 * EPS


def log(*a):
    print("[torch_cnn_step]", *a, file=sys.stderr, flush=True)


torch.manual_seed(0)
if args.model == "cnn-small":
    model = nn.Sequential(
        nn.Conv2d(1, 16, 4, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 4, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 100), nn.ReLU(), nn.Linear(100, 10))
else:
    model = nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 1024), nn.ReLU(), nn.Linear(1024, 10))
x = torch.rand(B, 1, 28, 28)
y = torch.randint(0, 10, (B,))
if args.channels_last:
    model = model.to(memory_format=torch.channels_last)
    x = x.contiguous(memory_format=torch.channels_last)
opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
f = torch.jit.trace(model, x) if args.jit else model  # the trace shares the model's parameters
lo, hi = x - EPS, x + EPS


def attack():
    # Gradients w.r.t. the input only (autograd.grad), so nothing accumulates into the parameters' .grad.
    xa = (x + EPS * (2 * torch.rand_like(x) - 1)).clamp_(0, 1)
    for _ in range(args.steps):
        xa.requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy(f(xa), y, reduction="sum"), xa)
        xa = torch.min(torch.max(xa.detach() + STEP * g.sign(), lo), hi).clamp_(0, 1)
    return xa.detach()


def update(xa):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(f(xa), y)
    loss.backward()
    opt.step()
    return loss


def step():
    return update(attack())


for _ in range(3):
    step()
# Rough split of one step, over a few steps: the attack (steps forward/backward passes w.r.t. the input) vs
# the update (one forward, backward to the parameters, Adam).
t_att = t_upd = 0.0
for _ in range(3):
    t0 = time.perf_counter()
    xa = attack()
    t1 = time.perf_counter()
    update(xa)
    t_att, t_upd = t_att + t1 - t0, t_upd + time.perf_counter() - t1
log(f"split over 3 steps: attack {1e3 * t_att / 3:.1f} ms ({100 * t_att / (t_att + t_upd):.0f}%), "
    f"update {1e3 * t_upd / 3:.1f} ms ({100 * t_upd / (t_att + t_upd):.0f}%) per step")

steps, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < args.seconds:
    loss = step()
    steps += 1
dt = time.perf_counter() - t0
last = loss.item()
if not torch.isfinite(torch.tensor(last)):
    raise RuntimeError(f"non-finite loss {last}")
log(f"{args.model}: {steps} steps in {dt:.2f} s, last loss {last:.4f}"
    f"{', channels_last' if args.channels_last else ''}{', jit.trace' if args.jit else ''}")
rate = B * steps / dt
nt = torch.get_num_threads()
engine = (f"torch {torch.__version__} cpu, {nt} thread{'s' if nt != 1 else ''} "
          f"(OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}), "
          f"python {sys.version.split()[0]}")
print(json.dumps({"pgdat": round(rate, 1), "engine": engine}))
