"""Run the emulator app with uvicorn on 127.0.0.1 in a background thread (tests, demo)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import httpx
import uvicorn

from zendesk_assets.emulator.app import create_app
from zendesk_assets.emulator.config import EmulatorConfig
from zendesk_assets.emulator.state import Emulator


class EmulatorServer:
    """Context manager: start uvicorn on a free loopback port, wait until it answers, stop cleanly."""

    def __init__(self, config: EmulatorConfig | None = None, *, emulator: Emulator | None = None,
                 port: int = 0, host: str = "127.0.0.1") -> None:
        if emulator is None:
            emulator = Emulator(config or EmulatorConfig())
        elif config is not None:
            raise ValueError("EmulatorServer: pass either config or emulator, not both")
        self.emulator = emulator
        self.host = host
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port = self._sock.getsockname()[1]
        self.base_url = f"http://{host}:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"EmulatorServer(base_url={self.base_url!r})"

    def start(self) -> EmulatorServer:
        # date_header off: the app stamps `Date` from the emulator's clock, which may differ from the host's.
        config = uvicorn.Config(create_app(self.emulator), log_level="warning", access_log=False,
                                lifespan="off", timeout_keep_alive=30, date_header=False)
        self._server = uvicorn.Server(config)
        server, sock = self._server, self._sock
        self._thread = threading.Thread(target=lambda: server.run(sockets=[sock]), name="zendesk-emulator",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if server.started:
                try:
                    httpx.get(f"{self.base_url}/__emulator__/stats", timeout=2)
                    return self
                except httpx.HTTPError:
                    pass
            if not self._thread.is_alive():
                break
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"Zendesk emulator did not start on {self.base_url} within 15 s")

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
