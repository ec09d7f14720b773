"""Accepted means booked: a Stripe event answered 200 by a process that is then killed (kill -9)
is booked by the restarted app on its own, with no delivery after the restart.

Both processes are the real app served over HTTP by gunicorn, started as docs/deployment.md
starts it, in a process group of their own on the test's database, reading charges from the
fake Stripe server on loopback. The first stores deliveries only
(``STRIPE_WEBHOOK_APPLY=worker``: the window between the 200 and the booking, held open so the
kill lands in it); the second is the default, ``background``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.stripe_events import (  # noqa: F401 (fixtures)
    SECRET,
    fake_stripe_fixture,
    network_id_fixture,
    signed_checkout,
    wait_until,
    world_fixture,
)

# Only bounds a failure: the applier sweeps every few seconds (webhooks.stripe.worker).
BOOKED_WITHIN_S = 90


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _served(world, database_url: str, tmp_path, mode: str) -> Iterator[str]:  # type: ignore[no-untyped-def]
    port = _free_port()
    env = {
        **os.environ,
        "KASSAN_ENV": "development",
        "KASSAN_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "restart-test-" + "x" * 32,
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "STRIPE_SECRET_KEY": world.fake.api_key,
        "STRIPE_API_BASE": world.fake.url,
        "STRIPE_WEBHOOK_APPLY": mode,
    }
    args = ["--workers", "1", "--bind", f"127.0.0.1:{port}", "kassan.web.app:create_app()"]
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill reaches the worker too
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # no clean shutdown: as a crash would
        process.wait(timeout=30)


def _deliver(url: str, body: bytes, header: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{url}/webhooks/stripe",
        data=body,
        method="POST",
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


def test_an_event_answered_200_before_a_kill_9_is_booked_after_the_restart_without_traffic(
    world, network_id, database_url, tmp_path
):
    checkout = signed_checkout(world, network_id, amount_ore=25_000, fee_ore=555, email="k@l.se")

    with _served(world, database_url, tmp_path, "worker") as first:
        status, answer = _deliver(first, checkout.body, checkout.header)
        assert (status, answer["outcome"]) == (200, "queued")
    # killed -9: the event is in the inbox, answered, and not booked
    assert world.gift(checkout.public_id).status == "pending"
    assert world.balance("3993") == 0

    with _served(world, database_url, tmp_path, "background"):
        # no delivery, no command: the restarted app finds the event by itself
        wait_until(lambda: world.gift(checkout.public_id).status == "paid", BOOKED_WITHIN_S, 0.5)
        assert world.gift(checkout.public_id).status == "paid"
    assert world.balance("3993") == -25_000 and world.balance("6570") == 555
