# Benchmark peer: PyTorch's convolution forward, input gradient and weight gradient (aten's
# convolution_backward with one output asked for, as autograd calls it) on given layer shapes, NCHW in and
# out, mkldnn on (the default). Prints one JSON line: per layer, the median ms of each pass.
# Usage: python3 torch_conv.py --layers '[{"name":..,"batch":128,"c":16,"h":14,"w":14,"o":32,"k":4,"s":2,"p":1}]' [--reps 20] [--threads 2]
import argparse
import json
import statistics
import time

from torch_common import torch  # loads torch, or says why not
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--layers", required=True)
ap.add_argument("--reps", type=int, default=20)
ap.add_argument("--threads", type=int, default=2)
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)


def median_ms(f, reps):
    for _ in range(3):
        f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(ts)


out = {}
with torch.no_grad():
    for l in json.loads(args.layers):
        x = torch.rand(l["batch"], l["c"], l["h"], l["w"])
        w = torch.rand(l["o"], l["c"], l["k"], l["k"]) - 0.5
        b = torch.rand(l["o"]) - 0.5
        s, p = (l["s"], l["s"]), (l["p"], l["p"])
        y = F.conv2d(x, w, b, s, p)
        g = torch.rand_like(y)
        bw = lambda mask: torch.ops.aten.convolution_backward(g, x, w, None, s, p, (1, 1), False, [0], 1, mask)
        out[l["name"]] = {
            "forward": median_ms(lambda: F.conv2d(x, w, b, s, p), args.reps),
            "input": median_ms(lambda: bw((True, False, False)), args.reps),
            "weight": median_ms(lambda: bw((False, True, False)), args.reps),
        }
out["engine"] = f"torch {torch.__version__} cpu, {torch.get_num_threads()} threads, mkldnn {torch.backends.mkldnn.is_available()}"
print(json.dumps(out))
