#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# make_seeds.py -- writes the seed corpora fuzz/corpus/NAME/ (committed; run
# again only to change them). Each seed is a well-formed input of its
# target, laid out as the target's header comment describes.
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes(data))


# ---- fuzz_input.h encodings ----
def small(n):  # fuzz_size class 0
    return [0, n]


def size20(n):  # class 3: below 2^20
    return [3] + list(struct.pack("<I", n))


def size_max():  # class 6: SIZE_MAX - 0
    return [6, 0]


def u64(n):
    return list(struct.pack("<Q", n))


def string(s):
    b = s.encode()
    return list(struct.pack("<H", len(b))) + list(b)


# ---- ipc_open: mode byte, then bytes XORed into the valid handle ----
CONFIGS = ["os-memfd", "os-shm", "file", "file-jemalloc"]
for cfg, cname in enumerate(CONFIGS):
    write("ipc_open", "valid-" + cname, [cfg])
    write("ipc_open", "valid-twice-" + cname, [cfg | 0x10])
    write("ipc_open", "bad-magic-then-valid-" + cname, [cfg | 0x08, 0xFF])
    write("ipc_open", "raw-zero-" + cname, [cfg | 0x04] + [0] * 64)
    # a handle whose header says the provider blob has another size
    write("ipc_open", "bad-blob-size-" + cname, [cfg | 0x08, 0, 0, 0, 0, 1])

# ---- pool_ops: pool, provider, variant, then calls ----
MALLOC, CALLOC, ALIGNED, REALLOC, FREE, UMFFREE, USABLE, BYPTR, FREENULL = (
    0, 2, 3, 4, 5, 6, 7, 8, 9)


def script():
    s = []
    s += [MALLOC, 0] + small(100)
    s += [MALLOC, 1] + size20(5000)
    s += [CALLOC, 2, 0, 10] + small(33)
    s += [ALIGNED, 3] + size20(300) + [12]          # 4 KiB aligned
    s += [REALLOC, 0] + size20(20000)
    s += [USABLE, 1]
    s += [BYPTR, 1] + list(struct.pack("<I", 4321))
    s += [REALLOC, 1] + small(10)
    s += [FREE, 0, UMFFREE, 1, FREENULL, 0]
    s += [MALLOC, 4] + size_max()                   # must fail
    s += [CALLOC, 5, 7] + u64(2**63) + small(4)     # num * size overflows
    s += [ALIGNED, 6] + small(64) + [31]            # alignment 3
    s += [REALLOC, 3] + small(0)                    # realloc to 0
    s += [MALLOC, 7] + small(0)
    s += [MALLOC, 8] + [5] + list(struct.pack("<I", 3 << 20))  # 3 MiB
    s += [ALIGNED, 9] + size20(70000) + [21]        # 2 MiB aligned
    return s


POOLS = ["disjoint", "jemalloc", "scalable", "proxy"]
PROVS = ["os", "fixed", "file"]
for p, pname in enumerate(POOLS):
    for v, vname in enumerate(PROVS):
        write("pool_ops", "%s-%s" % (pname, vname), [p, v, 0] + script())
        write("pool_ops", "%s-%s-shared" % (pname, vname),
              [p, v, 2] + script())
write("pool_ops", "disjoint-os-small-slabs", [0, 0, 1] + script())
# two pools (variant bit 2; bits 3-6 pick the second pool and provider)
write("pool_ops", "two-disjoint-os-jemalloc-fixed", [0, 0, 4] + script())
write("pool_ops", "two-jemalloc-fixed-scalable-os", [1, 1, 4 | 32] + script())
write("pool_ops", "two-scalable-file-disjoint-os", [2, 2, 4 | 8] + script())
write("pool_ops", "two-proxy-os-scalable-file", [3, 0, 4 | 16] + script())

# ---- params: kind, then setter calls ----
write("params", "os-default", [0])
write("params", "os-shared-named",
      [0, 0, 6, 1, 2, 2, 1] + string("seed") + [7, 8])
write("params", "os-numa-bind", [0, 3, 1, 1, 0, 0, 4, 1, 5] + size20(4096)
      + [6, 2, 1, 0, 50, 0, 0, 0, 50, 0, 0])
write("params", "file-shared", [1] + string("file") + [1, 2, 2, 1, 6, 3])
write("params", "file-private", [1] + string("file") + [1, 1, 2])
write("params", "devdax-regular-file",
      [2] + string("dax") + size20(1 << 19) + [1, 1, 6, 2, 1])
write("params", "fixed-region", [3, 1] + size20(0) + size20(1 << 19)
      + [1, 1] + size20(4096) + size20(1 << 19) + [0])
write("params", "fixed-null", [3, 0] + small(100))
write("params", "level-zero", [4, 0] + u64(0) + [2] + u64(0) + [1])
write("params", "cuda", [5, 0] + u64(0) + [2, 1])
write("params", "disjoint",
      [6, 0] + size20(65536) + [1] + size20(4096) + [2, 0, 4] + [3] + small(64)
      + [4, 1, 0, 0, 0] + [5] + size20(1 << 20) + [1] + [6, 1] + string("dj")
      + [7, 8] + small(10) + size20(5000) + size20(70000) + small(0))
write("params", "scalable", [7, 0] + size20(1 << 16) + [1, 1, 2]
      + small(10) + size20(5000) + size20(70000) + small(0))
