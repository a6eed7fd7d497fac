"""Requests beyond the limit wait their turn; one that waits too long gets a French 503."""

import asyncio

from app.web.admission import admission_control


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

    await app({"type": "http", "path": path}, None, send)
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
