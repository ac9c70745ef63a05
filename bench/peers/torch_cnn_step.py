# Benchmark peer: one PGD-AT training step of cnn-small (Wong et al.'s MNIST CNN) in PyTorch (CPU):
# random start in the L-inf ball, N signed-gradient steps of 0.25*eps (projected), then CE on the
# adversarial batch and an Adam update, as a3t's pgd-at regime does.
import argparse
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except Exception as e:  # a python3 without Debian's python3-torch: retry once with the system python
    SYS_PY = "/usr/bin/python3"
    if not os.environ.get("A3T_PEER_REEXEC") and os.path.exists(SYS_PY) \
            and os.path.realpath(sys.executable) != os.path.realpath(SYS_PY):
        os.environ["A3T_PEER_REEXEC"] = "1"
        os.execv(SYS_PY, [SYS_PY] + sys.argv)
    print(json.dumps({"error": f"torch not available: {e}"}))
    sys.exit(3)

ap = argparse.ArgumentParser()
ap.add_argument("--seconds", type=float, default=3.0)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--steps", type=int, default=10, help="attack steps")
ap.add_argument("--batch", type=int, default=128)
args = ap.parse_args()
torch.set_num_threads(args.threads)
B, EPS, STEP = args.batch, 0.3, 0.25 * 0.3


def log(*a):
    print("[torch_cnn_step]", *a, file=sys.stderr, flush=True)


torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 16, 4, stride=2, padding=1), nn.ReLU(),
    nn.Conv2d(16, 32, 4, stride=2, padding=1), nn.ReLU(),
    nn.Flatten(), nn.Linear(32 * 7 * 7, 100), nn.ReLU(), nn.Linear(100, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.rand(B, 1, 28, 28)
y = torch.randint(0, 10, (B,))


def attack():
    delta = (torch.rand_like(x) * 2 - 1) * EPS
    xa = (x + delta).clamp(0, 1)
    for _ in range(args.steps):
        xa.requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy(model(xa), y, reduction="sum"), xa)
        xa = xa.detach() + STEP * g.sign()
        xa = torch.min(torch.max(xa, x - EPS), x + EPS).clamp(0, 1)
    return xa.detach()


def step():
    xa = attack()
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(xa), y)
    loss.backward()
    opt.step()
    return loss


def bench():
    for _ in range(3):
        step()
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < args.seconds:
        loss = step()
        steps += 1
    dt = time.perf_counter() - t0
    if not torch.isfinite(loss):
        raise RuntimeError(f"non-finite loss {loss.item()}")
    log(f"{steps} steps in {dt:.2f} s, last loss {loss.item():.4f}")
    return B * steps / dt


rate = bench()
nt = torch.get_num_threads()
engine = (f"torch {torch.__version__} cpu, {nt} thread{'s' if nt != 1 else ''} "
          f"(OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, mkldnn {torch.backends.mkldnn.is_available()}), "
          f"python {sys.version.split()[0]}")
print(json.dumps({"pgdat": round(rate, 1), "engine": engine}))
