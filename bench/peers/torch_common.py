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


def square_side(it, queries, p_init, pixels):
    """AutoAttack's p_selection as its standard ensemble runs it (resc_schedule=False: not rescaled to
    `queries`) turned into a window side, as square.py does for L∞."""
    i = it
    div = 512
    for up_to, d in [(10, 1), (50, 2), (200, 4), (500, 8), (1000, 16), (2000, 32), (4000, 64), (6000, 128), (8000, 256)]:
        if i <= up_to:
            div = d
            break
    return max(int(round(((p_init / div) * pixels) ** 0.5)), 1)


@torch.no_grad()
def square_robust(model, x, y, eps, queries, side, p_init=0.8, gen=None):
    """AutoAttack's L∞ Square on the margin loss for square single-channel images (x: [n, side*side]): one
    window and sign per query for the whole batch, as square.py; each query only on the examples still
    standing, a full forward pass per candidate. 1 where the clean point is correct and no query
    misclassified it."""
    n = x.shape[0]
    ok = model(x).argmax(1) == y

    def margin(z, yy):
        zy = z.gather(1, yy[:, None])[:, 0]
        other = z.scatter(1, yy[:, None], -3e38).max(1).values
        return zy - other

    stripes = torch.where(torch.rand(n, 1, side, generator=gen) > 0.5, 1.0, -1.0).expand(n, side, side).reshape(n, -1)
    best = (x + eps * stripes).clamp(0, 1)
    m = margin(model(best), y)
    m[~ok] = -1.0
    loss = m.clone()
    for it in range(queries):
        todo = (m > 0).nonzero()[:, 0]
        if todo.numel() == 0:
            break
        s = min(square_side(it, queries, p_init, side * side), side)
        u = torch.rand(3, generator=gen)
        vh, vw = int(u[0] * (side - s)), int(u[1] * (side - s))
        window = torch.zeros(side, side)
        window[vh:vh + s, vw:vw + s] = 1.0 if u[2] > 0.5 else -1.0
        xt, bt = x[todo], best[todo]
        cand = torch.min(torch.max(bt + 2 * eps * window.reshape(1, -1), xt - eps), xt + eps).clamp(0, 1)
        mc = margin(model(cand), y[todo])
        lower = mc < loss[todo]
        take = lower | (mc <= 0)
        loss[todo] = torch.where(lower, mc, loss[todo])
        m[todo] = torch.where(take, mc, m[todo])
        best[todo] = torch.where(take[:, None], cand, bt)
    return ok & (m > 0)
