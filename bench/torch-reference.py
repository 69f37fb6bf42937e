#!/usr/bin/env python3
"""Single-thread PyTorch reference for bench/speed.js (models A and B of bench/anchors/speed-anchors.md).

Model A: window 48, F features, LSTM(64) -> last state -> Dense(12) (direct 12-step forecast).
Model B: LSTM(64, all states) -> additive temporal attention (e_t = v . tanh(W_h h_t + W_q q + b),
q = h_L, alpha = softmax_t e, context = sum_t alpha_t h_t) -> Dense(12) on [context ; q], the same
graph as the pack's 'attention' type (attention units 16, the pack's default).
Both: batch 64, Adam 1e-3, MSE, shuffled; the same noisy sine + trend windows as bench/speed.js
(the same generator, bit for bit), 20 % held out for a per-epoch validation loss as the pack's trainer does.
--highway adds the pack's linear path (Dense(12) on the flattened window); off by default, as in the anchors.

Measures per model: training windows/s (epochs x train windows / wall time of the epochs, validation
included, as the pack's report counts it), 1-window predict p50 / p99 ms, batch-256 predict windows/s (per
second of wall time, and of the process's CPU time);
and the process's peak RSS. torch.set_num_threads(1). Prints one JSON document on stdout.

  python3 bench/torch-reference.py [--models lstm,attention] [--windows 1024] [--epochs 2]
    [--latency 300] [--batch-reps 20] [--highway]
Exit code 3 (and a JSON {"error": ...}) when torch cannot be imported.
"""
import argparse
import json
import math
import os
import re
import resource
import sys
import time


def synthetic(n, L, F, H, seed=1):
    """bench/speed.js's synthetic(): the same mulberry32-style generator in 32-bit arithmetic."""
    a = seed & 0xFFFFFFFF
    M = 0xFFFFFFFF

    def imul(x, y):
        return (x * y) & M

    def rand():
        nonlocal a
        a = (a + 0x6D2B79F5) & M
        t = imul(a ^ (a >> 15), a | 1)
        t = (t ^ ((t + imul(t ^ (t >> 7), t | 61)) & M)) & M
        return ((t ^ (t >> 14)) & M) / 4294967296

    rows = []
    for i in range(n + L + H):
        y = math.sin(2 * math.pi * i / 24) + 0.001 * i + 0.1 * (rand() - 0.5)
        r = [y]
        for f in range(1, F):
            r.append(math.cos(2 * math.pi * i / (12 * f)) + 0.1 * (rand() - 0.5))
        rows.append(r)
    inputs = [rows[o - L + 1 : o + 1] for o in range(L - 1, L - 1 + n)]
    targets = [[r[0] for r in rows[o + 1 : o + 1 + H]] for o in range(L - 1, L - 1 + n)]
    return inputs, targets


def quantile(xs, q):
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float('nan')


def build(torch, kind, L, F, H, units, att_units, highway):
    nn = torch.nn

    class Forecaster(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(F, units, batch_first=True)
            if kind == 'attention':
                self.w_h = nn.Linear(units, att_units, bias=False)
                self.w_q = nn.Linear(units, att_units)
                self.v = nn.Linear(att_units, 1, bias=False)
                self.head = nn.Linear(2 * units, H)
            else:
                self.head = nn.Linear(units, H)
            self.highway = nn.Linear(L * F, H) if highway else None
            if self.highway is not None:
                nn.init.zeros_(self.highway.weight)
                nn.init.zeros_(self.highway.bias)

        def forward(self, x):
            states, _ = self.lstm(x)
            q = states[:, -1]
            if kind == 'attention':
                e = self.v(torch.tanh(self.w_h(states) + self.w_q(q).unsqueeze(1))).squeeze(-1)
                alpha = torch.softmax(e, dim=1)
                context = (states * alpha.unsqueeze(-1)).sum(1)
                out = self.head(torch.cat([context, q], dim=-1))
            else:
                out = self.head(q)
            if self.highway is not None:
                out = out + self.highway(x.flatten(1))
            return out

    return Forecaster()


def measure(torch, kind, F, args):
    L, H = 48, 12
    torch.manual_seed(0)
    inputs, targets = synthetic(args.windows, L, F, H)
    x_all = torch.tensor(inputs, dtype=torch.float32)
    y_all = torch.tensor(targets, dtype=torch.float32)
    n_train = round(args.windows * 0.8)
    x, y = x_all[:n_train], y_all[:n_train]
    xv, yv = x_all[n_train:], y_all[n_train:]
    model = build(torch, kind, L, F, H, 64, 16, args.highway)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss()

    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    model.train()
    for i in range(3):  # warm-up (allocator, first-call dispatch), outside the timing
        step(x[i * 64 : (i + 1) * 64], y[i * 64 : (i + 1) * 64])
    t0 = time.perf_counter()
    val_loss = float('nan')
    for _ in range(args.epochs):
        model.train()
        perm = torch.randperm(n_train)
        for s in range(0, n_train, 64):
            idx = perm[s : s + 64]
            step(x[idx], y[idx])
        model.eval()
        with torch.no_grad():
            val_loss = float(loss_fn(model(xv), yv))
    train_s = time.perf_counter() - t0
    r = {
        'trainWindowsPerSecond': args.epochs * n_train / train_s,
        'trainSeconds': train_s,
        'valLoss': val_loss,
        'params': sum(p.numel() for p in model.parameters()),
    }
    model.eval()
    with torch.inference_mode():
        one = x_all[0:1]
        for _ in range(20):
            model(one).numpy()
        times = []
        for i in range(args.latency):
            xi = x_all[i % args.windows : i % args.windows + 1]
            a = time.perf_counter()
            model(xi).numpy()
            times.append((time.perf_counter() - a) * 1000)
        batch = x_all[:256]
        model(batch).numpy()
        a = time.perf_counter()
        c = time.process_time()
        for _ in range(args.batch_reps):
            model(batch).numpy()
        batch_s = time.perf_counter() - a
        batch_cpu = time.process_time() - c
    r['predict1P50ms'] = quantile(times, 0.5)
    r['predict1P99ms'] = quantile(times, 0.99)
    r['batch256WindowsPerSecond'] = 256 * args.batch_reps / batch_s
    # per second of this process's CPU time: on a shared machine, less moved by the load than wall time
    r['batch256WindowsPerCpuSecond'] = 256 * args.batch_reps / max(batch_cpu, 1e-9)
    return r


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--models', default='lstm,attention')
    p.add_argument('--windows', type=int, default=1024)
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--latency', type=int, default=300)
    p.add_argument('--batch-reps', type=int, default=20)
    p.add_argument('--highway', action='store_true')
    args = p.parse_args()
    if not (256 <= args.windows <= 100000 and 1 <= args.epochs <= 100 and 1 <= args.latency <= 100000):
        p.error('--windows 256..100000, --epochs 1..100, --latency 1..100000')
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - any import failure means "no torch here"
        print(json.dumps({'error': f'no torch in {sys.executable}: {e}'}))
        sys.exit(3)
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # only settable before the first parallel work; one intra-op thread is what matters
    kinds = args.models.split(',')
    # Debian's python3-torch links the system libblas.so.3, the reference BLAS unless OpenBLAS is installed:
    # about 40x slower matrix products, which would make every ratio against PyTorch flattering.
    a, b = torch.randn(128, 128), torch.randn(128, 128)
    a @ b
    t0 = time.perf_counter()
    for _ in range(20):
        a @ b
    gflops = 20 * 2 * 128**3 / (time.perf_counter() - t0) / 1e9
    blas = 'libblas ?'
    try:
        with open('/proc/self/maps') as maps:
            libs = {line.split()[-1] for line in maps if re.search(r'lib(open)?blas[^/]*\.so', line)}
        built = re.search(r'BLAS_INFO=([^,\s]+)', torch.__config__.show())
        blas = ', '.join(sorted(os.path.basename(x) for x in libs)) or 'BLAS_INFO=' + built.group(1)
    except (OSError, AttributeError):
        pass  # not Linux, or an unusual build string: the GFLOPS figure still says how fast it is
    out = {
        'runtime': f'PyTorch {torch.__version__} CPU, 1 thread',
        'python': sys.executable,
        'threads': torch.get_num_threads(),
        'highway': args.highway,
        'blas': f'{blas}: matmul 128x128 {gflops:.1f} GFLOPS',
        'models': {},
    }
    if gflops < 3:  # measured here under load: reference libblas 1-2 GFLOPS, OpenBLAS 5-40
        out['warning'] = (
            f'slow BLAS ({gflops:.1f} GFLOPS on a 128x128 matmul: the reference libblas?): PyTorch is far slower '
            'here than with OpenBLAS or MKL; bench/speed.js: set TORCH_BLAS_DIR to a directory holding an OpenBLAS '
            'libblas.so.3'
        )
    if 'lstm' in kinds:
        out['models']['A F=1'] = measure(torch, 'lstm', 1, args)
        out['models']['A F=3'] = measure(torch, 'lstm', 3, args)
    if 'attention' in kinds:
        out['models']['B attention F=1'] = measure(torch, 'attention', 1, args)
    out['peakRssMB'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


if __name__ == '__main__':
    main()
