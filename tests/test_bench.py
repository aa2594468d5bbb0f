"""The benchmark's memory figures: the largest process and the process tree summed at one time."""

import subprocess
import sys
import time

import pytest

from devtools.bench import _TreeSampler

# a process holding `mb` megabytes (touched, so resident) for two seconds
HOLD = "import time; b = bytearray({mb} * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(2)"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_tree_sampler_adds_up_a_process_and_its_children():
    parent_code = (
        "import subprocess, sys\n"
        f"child = subprocess.Popen([sys.executable, '-c', {HOLD.format(mb=300)!r}])\n"
        f"{HOLD.format(mb=200)}\n"
        "child.wait()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", parent_code])
    sampler = _TreeSampler(proc.pid)
    sampler.start()
    proc.wait()
    sampler.stop()
    # both processes at once: at least 500 MB, more than either alone
    assert sampler.peak >= 500 * 2**20, sampler.peak
    assert sampler.peak < 2_000 * 2**20, sampler.peak


def test_the_tree_sampler_of_a_gone_process_is_zero():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    time.sleep(0.1)
    assert _TreeSampler(proc.pid).sample() == 0
