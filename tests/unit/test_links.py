import base64
import binascii
import contextlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.booking import links
from app.booking.links import LinkState

SECRET = "s" * 64
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def booking(**changes):
    values = {
        "id": 42,
        "sequence": 3,
        "status": "confirmed",
        "start": NOW + timedelta(days=2),
    }
    values.update(changes)
    return SimpleNamespace(**values)


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[1]


def test_paths_name_the_page_and_carry_a_token_that_reads_back():
    b = booking()
    modify = links.modify_path(SECRET, b)
    cancel = links.cancel_path(SECRET, b)
    assert modify.startswith("/rendez-vous/modifier/")
    assert cancel.startswith("/rendez-vous/annuler/")
    assert links.read_token(SECRET, token_of(modify), "modify") == links.LinkClaim(42, 3, "modify")
    assert links.read_token(SECRET, token_of(cancel), "cancel") == links.LinkClaim(42, 3, "cancel")


def test_token_is_url_safe_short_and_has_no_personal_data():
    b = booking(last_name="Dupont", email="jeanne@example.org", phone="0612345678")
    token = token_of(links.cancel_path(SECRET, b))
    assert len(token) < 100
    assert all(c.isalnum() or c in "-_" for c in token)
    for secret_value in ("Dupont", "jeanne", "0612"):
        assert secret_value not in token


def _decodings(token: str) -> list[bytes]:
    """Whatever a curious reader could get out of a token by base64-decoding its parts."""
    found = []
    for part in [token, *token.split(".")]:
        with contextlib.suppress(binascii.Error, ValueError):
            found.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return found


def test_a_token_does_not_show_the_booking_number_nor_its_sequence():
    """Issue 13, point 20: `WzY1LDBd` was base64 of `[65,0]`, telling anyone how many
    bookings exist. Consecutive bookings now get unrelated tokens of the same length."""
    tokens = [token_of(links.cancel_path(SECRET, booking(id=i, sequence=0))) for i in (65, 66)]
    for token in tokens:
        assert not token.startswith("Wz")  # base64 of "[" (a JSON list)
        for decoded in _decodings(token):
            assert b"65" not in decoded and b"66" not in decoded and b"[" not in decoded
    assert len(tokens[0]) == len(tokens[1])
    assert sum(a == b for a, b in zip(*tokens, strict=True)) < len(tokens[0]) // 2
    # and the same booking and sequence always get the same token (the app keys on it)
    assert token_of(links.cancel_path(SECRET, booking(id=65, sequence=0))) == tokens[0]


def test_links_sent_before_opaque_tokens_still_work():
    """A signed `[id, sequence]` token from an e-mail sent before decision 91 still opens
    its page, for its own purpose only."""
    old = links._legacy_serializer(SECRET, "cancel").dumps([65, 2])
    assert links.read_token(SECRET, old, "cancel") == links.LinkClaim(65, 2, "cancel")
    assert links.read_token(SECRET, old, "modify") is None
    assert links.read_token("another key entirely", old, "cancel") is None


def test_a_modify_token_cannot_cancel_and_the_reverse():
    b = booking()
    assert links.read_token(SECRET, token_of(links.modify_path(SECRET, b)), "cancel") is None
    assert links.read_token(SECRET, token_of(links.cancel_path(SECRET, b)), "modify") is None


def test_a_token_signed_with_another_key_is_refused():
    forged = token_of(links.cancel_path("another key entirely", booking()))
    assert links.read_token(SECRET, forged, "cancel") is None


def test_a_tampered_token_is_refused():
    genuine = token_of(links.cancel_path(SECRET, booking(id=42)))
    other = token_of(links.cancel_path(SECRET, booking(id=43)))
    assert links.read_token(SECRET, genuine[:19] + other[19:], "cancel") is None
    for position in (0, 10, 20, 36):
        changed = "A" if genuine[position] != "A" else "B"
        tampered = genuine[:position] + changed + genuine[position + 1 :]
        assert links.read_token(SECRET, tampered, "cancel") is None
    assert links.read_token(SECRET, genuine[:-3], "cancel") is None
    assert links.read_token(SECRET, genuine + "AA", "cancel") is None


def test_a_tampered_legacy_token_is_refused():
    genuine = links._legacy_serializer(SECRET, "cancel").dumps([42, 3])
    other = links._legacy_serializer(SECRET, "cancel").dumps([43, 3])
    payload, signature = genuine.split(".")
    other_payload = other.split(".")[0]
    assert payload != other_payload
    assert links.read_token(SECRET, f"{other_payload}.{signature}", "cancel") is None
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    assert links.read_token(SECRET, f"{payload}.{flipped}", "cancel") is None
    assert links.read_token(SECRET, genuine[:-3], "cancel") is None


@pytest.mark.parametrize(
    "junk", ["", ".", "abc", "a.b", "x" * 5000, "WzQyLDNd", "é.é", "A" * 38, "é" * 38, "-" * 38]
)
def test_junk_is_refused_without_error(junk):
    assert links.read_token(SECRET, junk, "modify") is None


def test_a_genuinely_signed_but_malformed_payload_is_refused():
    serializer = links._legacy_serializer(SECRET, "cancel")
    for payload in ({"id": 1}, [1], [1, 2, 3], ["1", 0], [-1, 0], [True, 0], [1.5, 0]):
        assert links.read_token(SECRET, serializer.dumps(payload), "cancel") is None


def test_tokens_differ_between_bookings_and_between_sequences():
    tokens = {
        token_of(links.modify_path(SECRET, booking(id=i, sequence=s)))
        for i in (1, 2)
        for s in (0, 1)
    }
    assert len(tokens) == 4


def claim(purpose="cancel", **changes):
    b = booking(**changes)
    return links.read_token(SECRET, links.make_token(SECRET, b, purpose), purpose)


def test_state_of_a_current_link_to_a_future_appointment_is_usable():
    assert links.link_state(claim(), booking(), NOW) is LinkState.USABLE


def test_state_once_the_appointment_has_begun_is_past():
    started = booking(start=NOW)
    assert links.link_state(claim(), started, NOW) is LinkState.PAST
    assert links.link_state(claim(), booking(start=NOW - timedelta(days=3)), NOW) is LinkState.PAST
    assert links.link_state(claim(), started, NOW - timedelta(seconds=1)) is LinkState.USABLE


def test_state_of_a_cancelled_booking_is_cancelled_even_with_a_newer_sequence():
    cancelled = booking(status="cancelled", sequence=4)
    assert links.link_state(claim(), cancelled, NOW) is LinkState.CANCELLED


def test_state_after_the_booking_changed_is_superseded():
    moved = booking(sequence=4)
    assert links.link_state(claim(sequence=3), moved, NOW) is LinkState.SUPERSEDED
    assert links.link_state(claim(sequence=4), moved, NOW) is LinkState.USABLE


def test_state_of_a_missing_booking_is_unknown():
    assert links.link_state(claim(), None, NOW) is LinkState.UNKNOWN
    assert links.link_state(claim(), booking(id=7), NOW) is LinkState.UNKNOWN
