"""Allocator tuning for batch scoring: keep freed memory in the process for reuse.

Batch scoring builds and drops many arrays of one row-count each (8 MB per column at 1M rows).
glibc returns large freed blocks to the kernel (``munmap`` or trimming the heap top), so the next
array of the same size faults its pages in again; on virtual machines a page fault costs several
microseconds and these faults were about a third of the feature time. Raising the mmap and trim
thresholds keeps freed blocks in the heap, where the next array reuses them without faults, and
a single arena lets the feature threads reuse each other's freed blocks.
See docs/decisions/0116-engine-batch-allocator.md.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
# Blocks up to this size come from the heap (reused) instead of a private mapping. glibc caps
# the value at HEAP_MAX_SIZE / 2 (32 MiB on 64-bit) and rejects larger values, so try downwards.
MMAP_THRESHOLDS = (1 << 30, 1 << 25)
TRIM_THRESHOLD = 2**31 - 1  # mallopt takes an int: trim only above 2 GiB of free heap top

_lock = threading.Lock()
_state = {"done": False, "applied": False}


def keep_freed_memory() -> bool:
    """Apply the tuning once per process; True if the C library accepted it (glibc only)."""
    with _lock:
        if _state["done"]:
            return _state["applied"]
        _state["done"] = True
        if not sys.platform.startswith("linux"):
            return False
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt
        except (OSError, AttributeError):  # musl and others have no mallopt: nothing to tune
            return False
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        trimmed = bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
        mapped = any(mallopt(M_MMAP_THRESHOLD, size) for size in MMAP_THRESHOLDS)
        # One arena: memory freed by one feature thread is reused by the other, not faulted anew.
        arena = bool(mallopt(M_ARENA_MAX, 1))
        _state["applied"] = trimmed and mapped and arena
        return _state["applied"]
