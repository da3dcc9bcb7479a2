"""The service's clock: ``manual`` (advanced only by ``POST /v1/admin/clock/advance``), ``realtime``
(one simulated second per wall second) or ``accelerated:N`` (N simulated seconds per wall second).

A running clock is a thread that every ``tick_s`` of wall time advances the twin to the simulated
time its speed has reached (whole steps; a twin that cannot keep up falls behind and says so in
``GET /v1/clock``: ``lag_s``).
"""

from __future__ import annotations

import threading
import time

from orbitcloud.errors import OrbitcloudError


def parse_clock(text: str) -> tuple[str, float | None]:
    """``manual`` | ``realtime`` | ``accelerated:N`` -> (mode, simulated seconds per wall second)."""
    t = (text or "").strip().lower()
    if t == "manual":
        return "manual", None
    if t == "realtime":
        return "realtime", 1.0
    if t.startswith("accelerated:"):
        try:
            n = float(t.split(":", 1)[1])
        except ValueError:
            n = float("nan")
        if not (n > 0 and n < 1e9):
            raise OrbitcloudError(f"--clock {text}: N must be a number of simulated seconds per wall second in (0, 1e9)")
        return "accelerated", n
    raise OrbitcloudError(f"--clock {text!r}: expected manual, realtime or accelerated:N")


class ClockThread:
    """Advances ``host`` (a :class:`~orbitcloud.service.twin.TwinHost`) at ``speed`` while running."""

    def __init__(self, host, speed: float, tick_s: float = 0.25) -> None:
        self.host, self.speed, self.tick_s = host, float(speed), float(tick_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lag_s = 0.0
        self.error: str | None = None

    def start(self) -> None:
        self._wall0 = time.monotonic()
        self._k0 = self.host.sim.k
        self._thread = threading.Thread(target=self._run, name="orbitcloud-clock", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        host = self.host
        while not self._stop.wait(self.tick_s):
            target_s = self._k0 * host.sim.step_s + (time.monotonic() - self._wall0) * self.speed
            k_to = min(host.sim.steps, int(target_s // host.sim.step_s))
            if k_to <= host.sim.k:
                continue
            try:
                host.advance_to(k_to)
                self.error = None
            except Exception as exc:  # noqa: BLE001 - the clock keeps going; the API shows the last error
                self.error = f"{type(exc).__name__}: {exc}"[:300]
            self.lag_s = max(0.0, target_s - host.sim.k * host.sim.step_s)
            if host.sim.k >= host.sim.steps:
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
