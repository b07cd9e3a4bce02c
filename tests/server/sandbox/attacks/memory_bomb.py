"""Attack: allocate 6 GiB in 256 MiB chunks and touch every page (as `horn-membomb`).

With a 512 MiB box the memory cgroup must kill it (limit `out_of_memory`) or the allocation
must raise MemoryError; allocating everything is an escape.
"""

import ctypes

NAME = "memory_bomb"
PR_SET_NAME = 15
CHUNK = 256 << 20
CHUNKS = 24  # 6 GiB


def attack():
    ctypes.CDLL(None).prctl(PR_SET_NAME, b"horn-membomb", 0, 0, 0)
    chunks = []
    pages = b"\x01" * (CHUNK // 4096)
    try:
        for _ in range(CHUNKS):
            chunk = bytearray(CHUNK)
            chunk[::4096] = pages  # touch every page
            chunks.append(chunk)
    except MemoryError:
        allocated = len(chunks) * CHUNK >> 20
        chunks.clear()
        report(False, {"allocated_mb": allocated, "error": "MemoryError"})
        return
    allocated = len(chunks) * CHUNK >> 20
    chunks.clear()
    report(True, {"allocated_mb": allocated, "error": None})


attack()
