"""The local mail catcher: an SMTP server on 127.0.0.1 that writes each message it receives
to a folder as `<UTC time>-<random>.eml`, and delivers nothing further.

    python -m medsamtale.devmail.catcher --port 1025 --dir instance/mail

It needs aiosmtpd (the `mailcatcher` or `dev` extra); scripts/start runs it when
MAIL_SERVER is not set. It stops on SIGTERM or Ctrl-C.
"""

import argparse
import os
import secrets
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path


class Folder:
    """aiosmtpd's handler: each message's bytes, as received, to a file of its own (written
    under a temporary name, then renamed, so a reader never sees half a message)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{secrets.token_hex(4)}.eml"
        partial = self.folder / f".{name}.part"
        partial.write_bytes(envelope.content)
        os.replace(partial, self.folder / name)
        return "250 Message caught"


def main(argv=None) -> None:
    from aiosmtpd.controller import Controller

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", required=True, type=Path)
    args = parser.parse_args(argv)
    controller = Controller(Folder(args.dir), hostname=args.host, port=args.port)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    controller.start()
    print(f"mail catcher: smtp://{args.host}:{args.port}, writing to {args.dir}", flush=True)
    try:
        stop.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
