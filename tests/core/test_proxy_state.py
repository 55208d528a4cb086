"""One proxy per data folder: the lock, what the running one tells others, and nothing left after a crash."""

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from desktop_app.core.errors import ProxyStartError
from desktop_app.core.proxy_state import STATE_FILE, ProxyClaim, RunningProxy, running_proxy


def state(port=8080) -> RunningProxy:
    return RunningProxy(os.getpid(), "copilot-insight serve", "0.0.0.0", port, datetime(2026, 12, 7, 12, 5, tzinfo=UTC),
                        8081, records_content=True)


def test_a_claimed_folder_is_seen_and_refused_until_released(tmp_path):
    assert running_proxy(tmp_path) is None
    claim = ProxyClaim(tmp_path)
    claim.publish(state())
    assert running_proxy(tmp_path) == state()
    with pytest.raises(ProxyStartError) as caught:
        ProxyClaim(tmp_path)
    assert f"copilot-insight serve (process {os.getpid()}) on 0.0.0.0:8080 since" in caught.value.user_message
    claim.release()
    claim.release()  # idempotent
    assert running_proxy(tmp_path) is None
    assert not (tmp_path / STATE_FILE).exists()
    ProxyClaim(tmp_path).release()


def test_a_crashed_process_leaves_nothing_that_looks_alive(tmp_path):
    script = ("import os, sys\nfrom datetime import UTC, datetime\nfrom pathlib import Path\n"
              "from desktop_app.core.proxy_state import ProxyClaim, RunningProxy\n"
              "claim = ProxyClaim(Path(sys.argv[1]))\n"
              "claim.publish(RunningProxy(os.getpid(), 'x', '127.0.0.1', 1, datetime.now(UTC)))\n"
              "os._exit(3)\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], timeout=60, check=False)
    assert done.returncode == 3
    assert (tmp_path / STATE_FILE).exists()  # the crash left the file behind...
    assert running_proxy(tmp_path) is None  # ...but nobody holds the lock
    claim = ProxyClaim(tmp_path)
    assert not (tmp_path / STATE_FILE).exists()  # and the next proxy clears it before it starts
    claim.release()


def test_a_proxy_still_starting_is_waited_for_briefly(tmp_path):
    claim = ProxyClaim(tmp_path)
    try:
        other = running_proxy(tmp_path, wait=0.2)  # locked, nothing published yet
        assert other is not None and other.program == "another Copilot Insight"
    finally:
        claim.release()
