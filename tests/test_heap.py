"""Specification of course_utils.heap: freed memory kept for reuse on glibc."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap

import pytest

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# Twenty rounds of two 480 KiB temporaries, in a fresh interpreter: the minor page faults per
# round, before and after keep_freed_memory() (glibc's defaults give fresh pages to each).
_FAULTS = textwrap.dedent("""
    import resource, numpy as np
    from course_utils.heap import keep_freed_memory

    x = np.random.default_rng(0).standard_normal((256, 240))

    def faults():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(20):
            np.minimum(np.abs(x), 1e-3)
        return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20

    faults()
    before = faults()
    kept = keep_freed_memory()
    faults()  # the heap grows to hold them, once
    print(before, kept, faults())
""")


@pytest.mark.skipif(not GLIBC, reason="the thresholds are glibc's")
def test_temporaries_reuse_freed_memory_once_it_is_kept():
    """With the thresholds raised, a loop of temporaries takes no fresh pages (at most one
    fault per round, for what the interpreter itself allocates)."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("MALLOC_") and name != "GLIBC_TUNABLES"}  # glibc's defaults
    ran = subprocess.run([sys.executable, "-c", _FAULTS], capture_output=True, text=True, check=True, env=env)
    _before, kept, after = ran.stdout.split()
    assert kept == "True"
    assert float(after) <= 1


@pytest.mark.skipif(GLIBC, reason="elsewhere than glibc there is nothing to set")
def test_keep_freed_memory_does_nothing_without_glibc():
    from course_utils.heap import keep_freed_memory

    assert keep_freed_memory() is False
