# Shared by the PyTorch peers: torch itself (from Debian's python when the one running the peer lacks it),
# and PGD as a3t runs it, with a3t's notion of a robust example.
import json
import os
import sys

# OpenBLAS's own pthreads fight torch's OpenMP threads on a small machine; the caller's setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
try:
    import torch
    import torch.nn.functional as F
except Exception as e:  # e.g. a pyenv python3 without Debian's python3-torch: retry once with the system python
    SYS_PY = "/usr/bin/python3"
    if not os.environ.get("A3T_PEER_REEXEC") and os.path.exists(SYS_PY) \
            and os.path.realpath(sys.executable) != os.path.realpath(SYS_PY):
        os.environ["A3T_PEER_REEXEC"] = "1"
        os.execv(SYS_PY, [SYS_PY] + sys.argv)
    print(json.dumps({"error": f"torch not available: {e}"}))
    sys.exit(3)


@torch.no_grad()
def pgd_robust(model, x, y, eps, steps, size, gen=None):
    """1 where the clean point and every PGD iterate (random start, signed steps of `size`, projection to the
    eps-ball and [0, 1], summed CE on logits) are classified correctly."""
    ok = model(x).argmax(1) == y
    xi = (x + eps * (2 * torch.rand(x.shape, generator=gen) - 1)).clamp_(0, 1)
    for _ in range(steps):
        with torch.enable_grad():
            xi.requires_grad_(True)
            z = model(xi)
            (g,) = torch.autograd.grad(F.cross_entropy(z, y, reduction="sum"), xi)
        ok &= z.argmax(1) == y
        xi = torch.min(torch.max(xi + size * g.sign(), x - eps), x + eps).clamp_(0, 1)
    return ok & (model(xi).argmax(1) == y)
