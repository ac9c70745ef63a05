# Benchmark peer: one plain / one A3T training step of the bench model in PyTorch (CPU).
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
ap.add_argument("--check", type=int, default=0, help="dev sanity check: N plain steps, print loss before/after")
args = ap.parse_args()
torch.set_num_threads(args.threads)
B, ALPHA, BETA, EPS = 128, 0.5, 1.0, 0.1


def log(*a):
    print("[torch_step]", *a, file=sys.stderr, flush=True)


torch.manual_seed(0)
E = nn.Sequential(nn.Linear(784, 512), nn.LeakyReLU(0.01), nn.Linear(512, 256), nn.LeakyReLU(0.01))
R = nn.Sequential(nn.Linear(256, 128), nn.LeakyReLU(0.01), nn.Linear(128, 10))
C = nn.Sequential(E, R)
D = nn.Sequential(nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 1))  # logits; sigmoid folded into the losses
D.train()
c_params, d_params = list(C.parameters()), list(D.parameters())
opt_c = torch.optim.Adam(c_params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
opt_d = torch.optim.Adam(d_params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)

x = torch.rand(B, 784)
y = torch.randint(0, 10, (B,))
y2 = torch.cat([y, y])
x_req = x.clone().requires_grad_(True)  # input leaf for the FGSM gradient
ones, zeros = torch.ones(B), torch.zeros(B)


def plain_step():
    opt_c.zero_grad(set_to_none=True)
    loss = F.cross_entropy(C(x), y)
    loss.backward()
    opt_c.step()
    return loss


def a3t_step():
    # 1. FGSM on the fly
    (g,) = torch.autograd.grad(F.cross_entropy(C(x_req), y), x_req)
    x_adv = (x + EPS * g.sign()).clamp_(0, 1)
    # 2. classifier once on [x; x_adv], one D forward on [z; z_adv]
    z = E(torch.cat([x, x_adv]))
    ce = F.cross_entropy(R(z), y2, reduction="none")
    d = D(z).squeeze(1)
    # 3. D loss -> D params only;  4. C loss -> C params only (gradient flows through D into the encoder)
    loss_d = F.binary_cross_entropy_with_logits(d[:B], ones) + F.binary_cross_entropy_with_logits(d[B:], zeros)
    loss_c = ALPHA * ce[:B].mean() + (1 - ALPHA) * ce[B:].mean() - BETA * F.logsigmoid(d[B:]).mean()
    g_d = torch.autograd.grad(loss_d, d_params, retain_graph=True)
    g_c = torch.autograd.grad(loss_c, c_params)
    # 5. simultaneous Adam steps
    for p, gp in zip(d_params, g_d):
        p.grad = gp
    for p, gp in zip(c_params, g_c):
        p.grad = gp
    opt_d.step()
    opt_c.step()
    return loss_c + loss_d


def bench(name, step):
    for _ in range(5):
        step()
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < args.seconds:
        loss = step()
        steps += 1
    last = loss.item()
    dt = time.perf_counter() - t0
    if not torch.isfinite(torch.tensor(last)):
        raise RuntimeError(f"{name}: non-finite loss {last}")
    log(f"{name}: {steps} steps in {dt:.2f} s, last loss {last:.4f}")
    return B * steps / dt


if args.check:
    log(f"check: plain loss at step 0 = {plain_step().item()}")
    for _ in range(args.check - 1):
        plain_step()
    log(f"check: plain loss after {args.check} steps = {plain_step().item()}")

plain = bench("plain", plain_step)
a3t = bench("a3t", a3t_step)
nt = torch.get_num_threads()
engine = (f"torch {torch.__version__} cpu, {nt} thread{'s' if nt != 1 else ''} "
          f"(OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}), "
          f"python {sys.version.split()[0]}")
print(json.dumps({"a3t": round(a3t, 1), "plain": round(plain, 1), "engine": engine}))
