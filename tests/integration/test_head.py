"""HEAD on the addresses monitoring tools and calendar clients ask with it (issue 13): the
front door, the web app manifest and the calendar feeds answer like GET, without a body."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from tests.server import running_server


def raw_head(base_url: str, path: str) -> tuple[str, dict[str, str], bytes]:
    """HEAD over a plain socket: the status line, the headers and whatever followed them
    (the body, if the server wrongly sent one)."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(f"HEAD {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return status, {k.lower(): v for k, v in headers.items()}, rest


@pytest.mark.parametrize(
    ("path", "status", "header", "value"),
    [
        ("/", "303", "location", "/rendez-vous/type"),
        ("/manifest.webmanifest", "200", "content-type", "application/manifest+json"),
    ],
)
def test_head_answers_like_get_without_a_body(client, path, status, header, value):
    got = client.get(path, follow_redirects=False)
    head = client.head(path, follow_redirects=False)
    assert str(head.status_code) == status == str(got.status_code)
    assert head.headers[header] == value == got.headers[header]


def test_over_a_real_socket_head_sends_no_body(tmp_path):
    with running_server(tmp_path, CRENEAU_DEBUG="") as base_url:
        for path, status in (("/", "303"), ("/manifest.webmanifest", "200")):
            line, headers, body = raw_head(base_url, path)
            assert line.split(" ")[1] == status, line
            assert body == b"", path
        assert int(headers["content-length"]) > 0  # the size GET would send
