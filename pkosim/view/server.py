"""Start the view's web server: Solara's app (``app.py``) under uvicorn, on this machine only (127.0.0.1).

Everything the page loads is served from here: Solara's own files, and the JavaScript it would otherwise fetch from
a CDN, from the ``solara-assets`` package (``share/solara/cdn`` in the environment). Solara's usage statistics and
version check are switched off: the view works offline and sends nothing anywhere.

The command line validates the scenarios first and hands them to the app through ``CONFIG`` (the server runs in
this process).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import warnings
from dataclasses import dataclass

from sim.errors import PkosimEnvironmentError

HOST = "127.0.0.1"


@dataclass(frozen=True)
class ViewConfig:
    """What every page of the server shows: the validated scenarios (one, or a pair) and the run seed."""

    scenarios: tuple
    seed: int
    run: int = 0


CONFIG: ViewConfig | None = None


def listen(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:``port`` (0: any free port); a port in use is the environment's error."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # restart at once after a stop (TIME_WAIT)
    try:
        sock.bind((HOST, port))
    except OSError as error:
        sock.close()
        raise PkosimEnvironmentError(f"pkosim view: cannot listen on {HOST}:{port} ({error.strerror}); another "
                                     "program is using it: choose another with --port, or --port 0 for any free "
                                     "port") from None
    sock.listen(128)
    return sock


def _quiet_solara() -> None:
    """No usage statistics, no version check, no banner, no notice about cookies over plain http on localhost."""
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ.setdefault("SOLARA_APP", "pkosim.view.app")
    warnings.filterwarnings("ignore", message="Cookies with samesite=none")
    from solara.server import settings

    settings.telemetry.mixpanel_enable = False
    settings.main.mode = "production"
    settings.theme.show_banner = False
    settings.kernel.cull_timeout = "2m"    # free the models of a tab whose connection dropped (default: 24 h)
    settings.theme.title = "pkosim view"


def _announce(server, url: str) -> None:
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        print(f"pkosim view: serving {url} (Ctrl-C stops)", flush=True)


def serve(config: ViewConfig, port: int) -> None:
    """Serve the view until interrupted (Ctrl-C or SIGTERM: uvicorn closes the connections and returns)."""
    global CONFIG
    CONFIG = config
    sock = listen(port)
    _quiet_solara()
    import uvicorn

    import pkosim.view.app  # noqa: F401  (fail here, not in the browser, if the page cannot be built)

    url = f"http://{HOST}:{sock.getsockname()[1]}/"
    server = uvicorn.Server(uvicorn.Config("solara.server.starlette:app", log_level="warning", lifespan="on"))
    threading.Thread(target=_announce, args=(server, url), daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        sys.stdout.flush()
