#!/usr/bin/env python3
"""PyTorch CPU anchor for the softmax cross-entropy MLP workloads (not a project dependency).

Measures one training step's forward + backward of the summed cross-entropy over a batch, float64,
on one thread, for the MLP shapes of the JMH workloads, and prints microseconds per sample (the
median of repeated timings). Run with the system python and Debian's python3-torch:

    /usr/bin/python3 benchmarks/pytorch_mlp.py

Quote the numbers beside a JMH run made right before or after on the same machine.
"""
import statistics
import sys
import time

import torch

SHAPES = [((2, 16, 10), 512), ((64, 32, 10), 512), ((784, 64, 10), 256)]


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]).double())
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def per_sample_micros(sizes, batch, repeats=30, calls=20):
    torch.manual_seed(0)
    model = mlp(sizes)
    x = torch.randn(batch, sizes[0], dtype=torch.float64)
    y = torch.randint(0, sizes[-1], (batch,))

    def step():
        model.zero_grad(set_to_none=False)
        loss = torch.nn.functional.cross_entropy(model(x), y, reduction="sum")
        loss.backward()
        return loss

    for _ in range(50):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            step()
        times.append((time.perf_counter() - start) / calls / batch * 1e6)
    return statistics.median(times), min(times), max(times)


def main():
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, float64, {torch.get_num_threads()} thread, python {sys.version.split()[0]}")
    for sizes, batch in SHAPES:
        median, low, high = per_sample_micros(sizes, batch)
        name = "-".join(map(str, sizes))
        print(f"{name:>10} batch {batch:4d}: {median:7.3f} us/sample (min {low:.3f}, max {high:.3f})")


if __name__ == "__main__":
    main()
