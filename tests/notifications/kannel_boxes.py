"""Kannel for tests: bearerbox + smsbox + fakesmsc on free ports, with a temp config.

Installed by `.ci/install-kannel.sh` (Debian's kannel and kannel-extras). Processes are started
in the order Kannel wants (bearerbox, smsbox, then the fake SMSC) and stopped by their own PIDs.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.notifications.conftest import free_port

BEARERBOX = Path("/usr/sbin/bearerbox")
SMSBOX = Path("/usr/sbin/smsbox")
FAKESMSC = Path("/usr/lib/kannel/test/fakesmsc")
USERNAME, PASSWORD, ADMIN_PASSWORD = "simexit", "sendsms-pw", "admin-pw"
READY_DEADLINE_SECONDS = 60
START_ATTEMPTS = 3


class KannelDied(RuntimeError):
    pass


def require_kannel() -> None:
    missing = [str(p) for p in (BEARERBOX, SMSBOX, FAKESMSC) if not p.exists()]
    if missing:
        message = (
            f"Kannel is not installed ({', '.join(missing)} missing); run .ci/install-kannel.sh"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class KannelBoxes:
    workdir: Path
    admin_port: int = field(default_factory=free_port)
    smsbox_port: int = field(default_factory=free_port)
    sendsms_port: int = field(default_factory=free_port)
    smsc_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    @property
    def fakesmsc_output(self) -> Path:
        return self.workdir / "fakesmsc.out"

    def _write_config(self) -> Path:
        (self.workdir / "logs").mkdir(exist_ok=True)
        config = self.workdir / "kannel.conf"
        config.write_text(
            f"""group = core
admin-port = {self.admin_port}
admin-password = {ADMIN_PASSWORD}
admin-allow-ip = "127.0.0.1"
admin-interface = "127.0.0.1"
smsbox-port = {self.smsbox_port}
smsbox-interface = "127.0.0.1"
box-allow-ip = "127.0.0.1"
log-file = "{self.workdir}/logs/bearerbox.log"
log-level = 1
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = FAKE
host = 127.0.0.1
port = {self.smsc_port}
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.smsbox_port}
sendsms-port = {self.sendsms_port}
sendsms-interface = "127.0.0.1"
log-file = "{self.workdir}/logs/smsbox.log"
log-level = 1

group = sendsms-user
username = {USERNAME}
password = {PASSWORD}
max-messages = 6
concatenation = true

group = sms-service
keyword = default
text = "ok"
"""
        )
        return config

    def _spawn(self, *args: str, stdout: Path | None = None) -> None:
        out = stdout.open("wb") if stdout else subprocess.DEVNULL
        self.processes.append(
            subprocess.Popen(list(args), cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT)
        )

    def _logs(self) -> str:
        return "".join(
            p.read_text(errors="replace")[-1500:] for p in (self.workdir / "logs").glob("*.log")
        )

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + READY_DEADLINE_SECONDS
        while not ready():
            if not self.alive():
                raise KannelDied(f"Kannel died waiting for {what}. Logs:\n{self._logs()}")
            if time.monotonic() > deadline:
                pytest.fail(f"Kannel: gave up waiting for {what}. Logs:\n{self._logs()}")
            time.sleep(0.1)

    def alive(self) -> bool:
        return all(process.poll() is None for process in self.processes)

    def ensure_running(self) -> None:
        """Start again, on new ports, after a box died. Kannel 1.4's bearerbox can PANIC in
        `conn_unregister` when a box connection closes on a loaded machine (a Kannel bug, not a
        simexit one); the test that follows then gets a working gateway, and the panic is
        reported instead of failing every later test of the module."""
        for attempt in range(START_ATTEMPTS):
            if self.processes and self.alive():
                return
            if self.processes:
                print(f"Kannel died; starting it again. Logs:\n{self._logs()}")  # noqa: T201
                self.stop()
                self.processes = []
                self.workdir = self.workdir.with_name(f"{self.workdir.name}-{attempt + 1}")
                self.workdir.mkdir(exist_ok=True)
                for name in ("admin_port", "smsbox_port", "sendsms_port", "smsc_port"):
                    setattr(self, name, free_port())
            try:
                self.start()
            except KannelDied as died:
                if attempt == START_ATTEMPTS - 1:
                    pytest.fail(str(died))

    def _smsc_online(self) -> bool:
        try:
            status = httpx.get(
                f"http://127.0.0.1:{self.admin_port}/status.txt",
                params={"password": ADMIN_PASSWORD},
                timeout=2,
            ).text
        except httpx.HTTPError:
            return False
        return "FAKE" in status and "online" in status.split("SMSC connections:")[-1]

    def _sendsms_up(self) -> bool:
        try:
            httpx.get(self.sendsms_url, timeout=2)
        except httpx.HTTPError:
            return False
        return True

    def start(self) -> None:
        config = self._write_config()
        self._spawn(str(BEARERBOX), str(config))
        self._wait(lambda: self._admin_up(), "bearerbox")
        self._spawn(str(SMSBOX), str(config))
        self._spawn(
            str(FAKESMSC),
            "-H",
            "127.0.0.1",
            "-r",
            str(self.smsc_port),
            "-i",
            "1",
            "-m",
            "0",
            "1000 2000 text hello",
            stdout=self.fakesmsc_output,
        )
        self._wait(self._sendsms_up, "smsbox's sendsms port")
        self._wait(self._smsc_online, "the fake SMSC to be online")

    def _admin_up(self) -> bool:
        try:
            httpx.get(f"http://127.0.0.1:{self.admin_port}/status.txt", timeout=2)
        except httpx.HTTPError:
            return False
        return True

    def received(self) -> list[str]:
        if not self.fakesmsc_output.exists():
            return []
        return [
            line
            for line in self.fakesmsc_output.read_text(errors="replace").splitlines()
            if "Got message" in line
        ]

    def wait_for_messages(self, count: int) -> list[str]:
        self._wait(lambda: len(self.received()) >= count, f"{count} message(s) at the fake SMSC")
        return self.received()

    def stop(self) -> None:
        for process in reversed(self.processes):  # fakesmsc, smsbox, then bearerbox
            if process.poll() is None:
                process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:  # bearerbox can take its time: do not hang the suite
                process.kill()
                process.wait()
