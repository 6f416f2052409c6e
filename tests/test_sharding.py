"""Every registry entry gives the same value and gradient on an array sharded over 8 host
devices as unsharded (issue 2).  The check runs in one subprocess because the device count
must be fixed before jax starts; the registry is split into shards that run in parallel."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


SHARDS = 4


@pytest.mark.parametrize("shard", range(SHARDS))
def test_sharded_equals_unsharded(shard):
    env = dict(os.environ)
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") +
                        " --xla_force_host_platform_device_count=8").strip()
    env["JAX_PLATFORMS"] = "cpu"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "tests._sharding_worker", str(shard), str(SHARDS)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert "checked" in proc.stdout, out[-3000:]
    assert proc.returncode == 0, out[-3000:]
