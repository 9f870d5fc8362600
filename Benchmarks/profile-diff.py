#!/usr/bin/env python3
"""Benchmarks/profile-diff.py A [B] [--by KEY] [--top N]: CPU microseconds per request, A against B.

A and B are OUT prefixes written by Benchmarks/route-profile.sh (OUT.txt, the demangled
`perf script` of a server sampled at 2999 Hz, and OUT.reqs, the requests served meanwhile).
Each sample is charged to its leaf frame and counts 1/2999 s. KEY: thread, library,
thread-library (default) or symbol. Rows are sorted by B - A, the largest growth first, so
`profile-diff.py healthz get` shows what a route adds to the framework's floor. Without B,
A's rows alone, the largest first.
"""
import argparse
import collections
import re

HZ = 2999
FRAME = re.compile(r"^\s+[0-9a-f]+\s+(.*?)(?:\+0x[0-9a-f]+)?\s+\(([^()]*)\)$")


def load(prefix, by):
    requests = int(open(prefix + ".reqs").read().split()[0])
    counts = collections.Counter()
    thread, leaf_pending = None, False
    for line in open(prefix + ".txt"):
        if not line.strip():
            thread, leaf_pending = None, False
        elif line[0] not in " \t":
            thread, leaf_pending = re.sub(r"[-#0-9]+$", "", line.split()[0]) or "?", True
        elif leaf_pending:
            leaf_pending = False
            match = FRAME.match(line)
            symbol, library = (match.group(1), match.group(2).rsplit("/", 1)[-1]) if match else ("?", "?")
            key = {"thread": thread, "library": library, "thread-library": f"{thread} {library}",
                   "symbol": symbol[:100]}[by]
            counts[key] += 1
    scale = 1e6 / HZ / max(1, requests)
    return {key: n * scale for key, n in counts.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b", nargs="?")
    parser.add_argument("--by", default="thread-library", choices=["thread", "library", "thread-library", "symbol"])
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    a = load(args.a, args.by)
    if args.b is None:
        print(f"total: {sum(a.values()):.1f} us per request")
        for key in sorted(a, key=lambda k: -a[k])[: args.top]:
            print(f"{a[key]:7.2f}  {key}")
        return
    b = load(args.b, args.by)
    print(f"total: {sum(a.values()):.1f} -> {sum(b.values()):.1f} us per request")
    print(f"{'A':>7} {'B':>7} {'B-A':>7}  {args.by}")
    for key in sorted(set(a) | set(b), key=lambda k: a.get(k, 0) - b.get(k, 0))[: args.top]:
        print(f"{a.get(key, 0):7.2f} {b.get(key, 0):7.2f} {b.get(key, 0) - a.get(key, 0):+7.2f}  {key}")


if __name__ == "__main__":
    main()
