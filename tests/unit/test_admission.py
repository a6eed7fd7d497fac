"""Requests beyond the limit wait their turn; one that waits too long gets a French 503."""

import asyncio

from app.web.admission import FIRST, SECOND, PriorityGate, admission_control, line_of


def _app(tracker: dict, hold: float):
    async def app(scope, receive, send):
        tracker["now"] += 1
        tracker["peak"] = max(tracker["peak"], tracker["now"])
        await asyncio.sleep(hold)
        tracker["now"] -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


async def _call(app, path: str = "/rendez-vous/creneau") -> list[dict]:
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    await app({"type": "http", "method": "GET", "path": path}, None, send)
    return sent


def test_at_most_the_limit_run_at_once_and_everyone_is_served():
    tracker = {"now": 0, "peak": 0}
    app = admission_control(limit=2)(_app(tracker, hold=0.05))

    async def run():
        return await asyncio.gather(*(_call(app) for _ in range(7)))

    answers = asyncio.run(run())
    assert tracker["peak"] == 2
    assert [a[0]["status"] for a in answers] == [200] * 7


def test_a_request_waiting_too_long_gets_a_french_busy_page():
    tracker = {"now": 0, "peak": 0}
    app = admission_control(limit=1, max_wait_seconds=0.05)(_app(tracker, hold=0.3))

    async def run():
        return await asyncio.gather(_call(app), _call(app))

    first, second = asyncio.run(run())
    assert first[0]["status"] == 200
    assert second[0]["status"] == 503
    assert (b"retry-after", b"60") in second[0]["headers"]
    assert "Beaucoup de personnes prennent rendez-vous" in second[1]["body"].decode()


def test_static_files_and_the_health_check_never_wait():
    tracker = {"now": 0, "peak": 0}
    app = admission_control(limit=1, max_wait_seconds=0.01)(_app(tracker, hold=0.1))

    async def run():
        return await asyncio.gather(
            _call(app), _call(app, "/static/css/creneau.css"), _call(app, "/healthz")
        )

    answers = asyncio.run(run())
    assert [a[0]["status"] for a in answers] == [200, 200, 200]
    assert tracker["peak"] == 3


def test_a_citizen_finishing_a_booking_goes_before_the_people_arriving():
    """One permit, held; an arriving citizen queues, then one confirming: the permit goes to
    the one confirming first, then to the one arriving (each line in its own order)."""
    order: list[str] = []
    release_first = asyncio.Event()

    async def app(scope, receive, send):
        order.append(f"{scope['method']} {scope['path']}")
        if (
            scope["path"] == "/rendez-vous/creneau"
            and scope["method"] == "GET"
            and not release_first.is_set()
        ):
            await release_first.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    gated = admission_control(limit=1)(app)

    async def call(method: str, path: str) -> None:
        await gated({"type": "http", "method": method, "path": path}, None, _ignore)

    async def run():
        holder = asyncio.create_task(call("GET", "/rendez-vous/creneau"))
        await asyncio.sleep(0)  # the holder takes the permit
        arriving = asyncio.create_task(call("GET", "/rendez-vous/type"))
        await asyncio.sleep(0)
        confirming = asyncio.create_task(call("POST", "/rendez-vous/recapitulatif"))
        await asyncio.sleep(0)
        release_first.set()
        await asyncio.gather(holder, arriving, confirming)

    asyncio.run(run())
    assert order == [
        "GET /rendez-vous/creneau",
        "POST /rendez-vous/recapitulatif",
        "GET /rendez-vous/type",
    ]


async def _ignore(message):
    return None


def test_the_lines_of_requests():
    assert line_of("POST", "/rendez-vous/recapitulatif") == FIRST
    assert line_of("POST", "/rendez-vous/creneau") == FIRST
    assert line_of("GET", "/rendez-vous/confirmation") == FIRST
    assert line_of("GET", "/admin/planning") == FIRST
    assert line_of("GET", "/rendez-vous/creneau") == SECOND
    assert line_of("POST", "/rendez-vous/type") == SECOND
    assert line_of("GET", "/") == SECOND


def test_a_permit_handed_over_as_the_wait_ends_is_not_lost():
    async def run():
        gate = PriorityGate(1)
        assert await gate.acquire(SECOND, patience=1)
        waiting = asyncio.create_task(gate.acquire(SECOND, patience=0))
        await asyncio.sleep(0)
        gate.release()  # handed to the waiter, whose time is already up
        got = await waiting
        if got:
            gate.release()
        # Whatever the waiter got, the one permit is free again.
        assert await gate.acquire(FIRST, patience=0)
        third = asyncio.create_task(gate.acquire(FIRST, patience=0))
        assert await third is False

    asyncio.run(run())
