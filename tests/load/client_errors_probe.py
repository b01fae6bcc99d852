"""Run by test_load_client_errors in its own process (Locust patches the process with gevent):
one POST through Locust's FastHttpSession per kind of broken server on loopback, printing
the `error` the recorder writes for each as `kind word`."""

from __future__ import annotations

import socket
import struct
import threading
import time

from locust.contrib.fasthttp import FastHttpSession
from locust.env import Environment

from harness.load.recorder import error_text
from harness.netutil import LOOPBACK


def _serve(mode: str) -> int:
    listener = socket.create_server((LOOPBACK, 0))

    def answer(conn: socket.socket) -> None:
        conn.recv(65536)
        if mode == "silent":
            time.sleep(30)  # a daemon thread: ends with the process
        elif mode == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode == "garbage":
            conn.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        conn.close()

    def accept() -> None:
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def main() -> None:
    env = Environment()
    for mode in ("silent", "reset", "close", "garbage", "refused"):
        port = _closed_port() if mode == "refused" else _serve(mode)
        session = FastHttpSession(f"http://{LOOPBACK}:{port}", env.events.request, user=None,
                                  network_timeout=1.0, connection_timeout=1.0, max_redirects=0)
        with session.post("/v1/chat", json={"message": "hi"}, catch_response=True) as reply:
            status = int(reply.status_code or 0)
            print(mode, error_text(status, getattr(reply, "error", None), None), flush=True)


if __name__ == "__main__":
    main()
