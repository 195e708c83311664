#!/usr/bin/env python3
"""Tests of scripts/supervise.sh, the process supervisor behind `make run`.

Small bash stand-ins play the supervised processes: each appends "PID START-TIME" to a file
of its own when it starts, then sleeps (or exits at once, or ignores SIGTERM). The tests
wait for conditions with generous deadlines and assert lower bounds on time only: timers
fire late on a loaded machine, never early.

Runs under pytest, or alone: `python3 Tests/Scripts/test_supervise.py` (exit status 1 when
a test failed). Only the standard library; Linux (/proc).
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUPERVISE = ROOT / "scripts" / "supervise.sh"
DEADLINE = 30.0  # seconds to wait for any condition


def eventually(condition, what, timeout=DEADLINE, details=lambda: ""):
    """Polls condition() until it returns something truthy, which it returns."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"not within {timeout:.0f} s: {what}\n{details()}")
        time.sleep(0.05)


def process_state(pid):
    """(state, pgrp) of a process from /proc, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return fields[0], int(fields[2])


def alive(pid):
    """Running, or stopped: anything but gone or a zombie."""
    state = process_state(pid)
    return state is not None and state[0] not in ("Z", "X")


def group_members(pgrp):
    """The live processes of a process group."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            state = process_state(int(entry))
            if state and state[1] == pgrp and state[0] not in ("Z", "X"):
                members.append(int(entry))
    return members


class Child:
    """A stand-in process: `mode` is "sleep", "ignore-term" (sleeps, SIGTERM ignored),
    "exit" (exits at once with status 3) or "run-then-exit" (exits 1 after 1.5 s)."""

    BODIES = {
        "sleep": "exec sleep 1000",
        "ignore-term": 'trap "" TERM; exec sleep 1000',  # sleep inherits the ignored SIGTERM
        "exit": "exit 3",
        "run-then-exit": "sleep 1.5; exit 1",
    }

    def __init__(self, directory, name, mode="sleep"):
        self.name = name
        self.file = Path(directory) / f"{name}.starts"
        script = 'echo "$$ $EPOCHREALTIME" >> "$1"; ' + self.BODIES[mode]
        self.argv = ["bash", "-c", script, name, str(self.file)]

    def starts(self):
        """[(pid, start time)] in the order of the starts."""
        try:
            lines = self.file.read_text().splitlines()
        except FileNotFoundError:
            return []
        return [(int(pid), float(when)) for pid, when in (line.split() for line in lines if line.strip())]

    def pids(self):
        return [pid for pid, _ in self.starts()]


class Supervisor:
    """scripts/supervise.sh over some Children, in a process group (and session) of its own,
    its stdout and stderr in a file. As a context manager it kills whatever is left."""

    def __init__(self, directory, children, **env):
        self.children = children
        self.log_file = Path(directory) / "supervise.log"
        args = []
        for child in children:
            args += ([] if not args else ["::"]) + [child.name] + child.argv
        environment = dict(os.environ, **{key: str(value) for key, value in env.items()})
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(
                [str(SUPERVISE), *args], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                env=environment, start_new_session=True)
        self.pgrp = self.process.pid

    def log(self):
        return self.log_file.read_text(errors="replace")

    def wait_for(self, condition, what):
        return eventually(condition, what, details=lambda: "supervise.sh's log:\n" + self.log())

    def wait_started(self):
        for child in self.children:
            self.wait_for(lambda: child.starts(), f"{child.name} started")

    def signal(self, signum):
        self.process.send_signal(signum)

    def wait_exit(self):
        try:
            return self.process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"supervise.sh still running {DEADLINE:.0f} s after the signal\n{self.log()}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in group_members(self.pgrp):  # a failed test must leave nothing behind
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return False


def assert_all_gone(supervisor):
    """Once supervise.sh has exited: no process it started (nor any timer) runs on."""
    pids = [pid for child in supervisor.children for pid in child.pids()]
    supervisor.wait_for(lambda: not any(alive(pid) for pid in pids), f"processes {pids} gone")
    supervisor.wait_for(lambda: not group_members(supervisor.pgrp), "no process left in the group")


def test_killed_process_is_restarted_alone():
    with tempfile.TemporaryDirectory() as directory:
        a, b = Child(directory, "a"), Child(directory, "b")
        with Supervisor(directory, [a, b]) as supervisor:
            supervisor.wait_started()
            first_a, first_b = a.pids()[0], b.pids()[0]
            assert f"started a (pid {first_a})" in supervisor.log()
            assert os.readlink(f"/proc/{first_a}/fd/0") == "/dev/null"

            os.kill(first_a, signal.SIGKILL)
            supervisor.wait_for(lambda: len(a.pids()) == 2, "a restarted")
            assert a.pids()[1] != first_a
            assert b.pids() == [first_b] and alive(first_b), "b must run on untouched"
            assert "a exited (status 137 / signal KILL); restarting in 1 s" in supervisor.log()
            assert f"started a (pid {a.pids()[1]})" in supervisor.log()

            # Both at once: bash notices the second death while it handles the first.
            os.kill(a.pids()[1], signal.SIGKILL)
            os.kill(first_b, signal.SIGKILL)
            supervisor.wait_for(lambda: len(a.pids()) == 3 and len(b.pids()) == 2, "a and b restarted")
            assert all(alive(pid) for pid in (a.pids()[2], b.pids()[1]))

            supervisor.signal(signal.SIGTERM)
            assert supervisor.wait_exit() == 0, supervisor.log()
            assert_all_gone(supervisor)


def test_backoff_doubles_up_to_the_cap():
    with tempfile.TemporaryDirectory() as directory:
        crashing, steady = Child(directory, "crashing", "exit"), Child(directory, "steady")
        with Supervisor(directory, [crashing, steady], SUPERVISE_MAX_BACKOFF=2) as supervisor:
            supervisor.wait_for(lambda: len(crashing.starts()) >= 4, "four starts of crashing")
            times = [when for _, when in crashing.starts()]
            # Back-offs 1, 2, then 2 (the cap): the third start comes 3 s after the first.
            assert times[2] - times[0] >= 2.5, times
            assert times[3] - times[2] >= 1.5, times
            delays = re.findall(r"crashing exited \(status 3\); restarting in (\d+) s", supervisor.log())
            assert delays[:3] == ["1", "2", "2"], supervisor.log()
            assert len(steady.pids()) == 1 and alive(steady.pids()[0])

            supervisor.signal(signal.SIGTERM)
            assert supervisor.wait_exit() == 0, supervisor.log()
            assert_all_gone(supervisor)


def test_backoff_resets_after_a_stable_run():
    with tempfile.TemporaryDirectory() as directory:
        child = Child(directory, "flaky", "run-then-exit")  # up 1.5 s each time
        with Supervisor(directory, [child], SUPERVISE_STABLE_SECONDS=1) as supervisor:
            supervisor.wait_for(lambda: len(child.starts()) >= 3, "three starts")
            delays = re.findall(r"flaky exited \(status 1\); restarting in (\d+) s", supervisor.log())
            assert delays[:2] == ["1", "1"], supervisor.log()

            supervisor.signal(signal.SIGTERM)
            assert supervisor.wait_exit() == 0, supervisor.log()
            assert_all_gone(supervisor)


def test_sigterm_stops_well_behaved_processes():
    with tempfile.TemporaryDirectory() as directory:
        # `crashing` is waiting for its restart when the signal comes: it must not start again.
        children = [Child(directory, "a"), Child(directory, "b"), Child(directory, "crashing", "exit")]
        with Supervisor(directory, children) as supervisor:
            supervisor.wait_started()
            supervisor.wait_for(lambda: "crashing exited" in supervisor.log(), "crashing exited")
            supervisor.signal(signal.SIGTERM)
            assert supervisor.wait_exit() == 0, supervisor.log()
            log = supervisor.log()
            assert "SIGTERM: stopping" in log and log.rstrip().endswith("supervise.sh: stopped"), log
            assert "killing" not in log, log
            assert_all_gone(supervisor)


def test_sigint_stops_too():
    with tempfile.TemporaryDirectory() as directory:
        children = [Child(directory, "a"), Child(directory, "b")]
        with Supervisor(directory, children) as supervisor:
            supervisor.wait_started()
            supervisor.signal(signal.SIGINT)
            assert supervisor.wait_exit() == 0, supervisor.log()
            assert "SIGINT: stopping" in supervisor.log()
            assert_all_gone(supervisor)


def test_process_ignoring_sigterm_is_killed_after_the_timeout():
    with tempfile.TemporaryDirectory() as directory:
        stubborn, polite = Child(directory, "stubborn", "ignore-term"), Child(directory, "polite")
        with Supervisor(directory, [stubborn, polite], SHUTDOWN_TIMEOUT=2) as supervisor:
            supervisor.wait_started()
            signalled = time.monotonic()
            supervisor.signal(signal.SIGTERM)
            assert supervisor.wait_exit() == 1, supervisor.log()
            assert time.monotonic() - signalled >= 1.5, "killed before SHUTDOWN_TIMEOUT"
            log = supervisor.log()
            assert f"still running after 2 s, killing stubborn (pid {stubborn.pids()[0]})" in log, log
            assert "polite exited (status 143 / signal TERM)" in log, log
            assert_all_gone(supervisor)


def test_second_signal_kills_at_once():
    with tempfile.TemporaryDirectory() as directory:
        stubborn = Child(directory, "stubborn", "ignore-term")
        with Supervisor(directory, [stubborn], SHUTDOWN_TIMEOUT=600) as supervisor:
            supervisor.wait_started()
            supervisor.signal(signal.SIGTERM)
            supervisor.wait_for(lambda: "SIGTERM: stopping" in supervisor.log(), "the stop began")
            supervisor.signal(signal.SIGTERM)
            assert supervisor.wait_exit() == 1, supervisor.log()  # well before the 600 s
            assert "second signal: killing stubborn" in supervisor.log()
            assert_all_gone(supervisor)


def test_usage_errors_start_nothing():
    cases = [
        ([], {}),
        (["a", "sleep", "1000", "::", "b"], {}),                         # b without a COMMAND
        (["a", "sleep", "1000", "::", "a", "sleep", "1000"], {}),       # a named twice
        (["a", "no-such-command-for-supervise"], {}),
        (["bad name", "sleep", "1000"], {}),
        (["a", "sleep", "1000"], {"SUPERVISE_MAX_BACKOFF": "soon"}),
        (["a", "sleep", "1000"], {"SHUTDOWN_TIMEOUT": "-1"}),
    ]
    for args, env in cases:
        result = subprocess.run([str(SUPERVISE), *args], env=dict(os.environ, **env), stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=DEADLINE)
        assert result.returncode == 2, (args, env, result)
        assert "started" not in result.stderr and "usage:" in result.stderr, (args, env, result.stderr)


def main():
    tests = [(name, test) for name, test in globals().items() if name.startswith("test_") and callable(test)]
    failed = []
    for name, test in tests:
        started = time.monotonic()
        try:
            test()
        except Exception:
            failed.append(name)
            print(f"FAIL {name} ({time.monotonic() - started:.1f} s)", flush=True)
            traceback.print_exc()
        else:
            print(f"ok   {name} ({time.monotonic() - started:.1f} s)", flush=True)
    print(f"{len(tests) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
