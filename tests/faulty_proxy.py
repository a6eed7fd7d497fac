"""An HTTP proxy on 127.0.0.1 in front of a real CalDAV server, that can misbehave on
demand: answer 500, answer slowly, or refuse connections as a dead server would.

Each request is forwarded on its own upstream connection with `Connection: close`, and the
answer is relayed until the server closes it.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time

PASS, ERROR_500, SLOW, DOWN = "pass", "500", "slow", "down"


def _read_request(connection: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    lines = head.split(b"\r\n")
    kept = [lines[0]]
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() in (b"connection", b"keep-alive"):
            continue
        kept.append(line)
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        body += chunk
    kept.append(b"Connection: close")
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


class FaultyProxy:
    def __init__(self, upstream_port: int, delay: float = 3.0) -> None:
        self.upstream_port = upstream_port
        self.mode = PASS
        self.delay = delay
        self.requests = 0
        # (method, status) of each request answered by the server, in order.
        self.exchanges: list[tuple[str, int]] = []
        # In SLOW mode, only the requests containing these bytes are slow (None: all), as
        # a cold server is slow to list a whole calendar and quick at the rest.
        self.slow_only: bytes | None = None
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                while True:
                    request = _read_request(self.request)
                    if request is None:
                        return
                    proxy.requests += 1
                    if proxy.mode == DOWN:
                        return  # the connection drops without an answer
                    if proxy.mode == ERROR_500:
                        self.request.sendall(
                            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                            b"Connection: close\r\n\r\n"
                        )
                        return
                    if proxy.mode == SLOW and (
                        proxy.slow_only is None or proxy.slow_only in request
                    ):
                        time.sleep(proxy.delay)
                    method = request.split(b" ", 1)[0].decode()
                    status = 0
                    with socket.create_connection(("127.0.0.1", proxy.upstream_port)) as up:
                        up.sendall(request)
                        while chunk := up.recv(65536):
                            if not status:
                                status = int(chunk.split(b" ", 2)[1])
                            self.request.sendall(chunk)
                    proxy.exchanges.append((method, status))
                    return

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultyProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
