#!/usr/bin/env python3
"""An SMTP server that accepts every message and keeps none: the delivery benchmark's sink.

    python bench/smtp_sink.py PORT [--keep-first FILE]

One asyncio process, no parsing beyond the command verb and the end of DATA, so that
it is never the bottleneck of the one client it serves. It says `ready` on stdout once
listening; on SIGTERM it prints `<messages> <bytes> <recipients>` and exits.
`--keep-first` writes the first message's content (as the client meant it: the dots
SMTP doubled taken out) to FILE: the benchmark's "limit" client sends exactly that
message again and again.
Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

EHLO = (b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
        b"250 SIZE 104857600\r\n")
REPLIES = {b"HELO": b"250 sink\r\n", b"MAIL": b"250 OK\r\n", b"RCPT": b"250 OK\r\n",
           b"RSET": b"250 OK\r\n", b"NOOP": b"250 OK\r\n", b"DATA": b"354 go ahead\r\n"}
END = b"\r\n.\r\n"


class Totals:
    def __init__(self, keep_first: Path | None) -> None:
        self.messages = self.bytes = self.recipients = 0
        self.keep_first = keep_first


class Session(asyncio.Protocol):
    def __init__(self, totals: Totals) -> None:
        self.totals = totals
        self.buffer = bytearray()
        self.in_data = False
        self.searched = 0  # where the search for END resumes in a long DATA

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.buffer:
            if self.in_data:
                if not self._message():
                    return
            elif not self._command():
                return

    def _command(self) -> bool:
        end = self.buffer.find(b"\r\n")
        if end < 0:
            return False
        verb = bytes(self.buffer[:4]).upper()
        del self.buffer[:end + 2]
        if verb == b"EHLO":
            self.transport.write(EHLO)
        elif verb == b"QUIT":
            self.transport.write(b"221 bye\r\n")
            self.transport.close()
        else:
            self.transport.write(REPLIES.get(verb, b"502 not here\r\n"))
            self.totals.recipients += verb == b"RCPT"
            if verb == b"DATA":
                self.in_data, self.searched = True, 0
                self.buffer[:0] = b"\r\n"  # so that an empty message's lone "." ends it
        return True

    def _message(self) -> bool:
        end = self.buffer.find(END, self.searched)
        if end < 0:
            self.searched = max(0, len(self.buffer) - len(END) + 1)
            return False
        totals = self.totals
        totals.messages += 1
        totals.bytes += end  # the content: buffer[2:end + 2]
        if totals.keep_first is not None:
            content = b"\r\n" + bytes(self.buffer[2:end + 2])
            totals.keep_first.write_bytes(content.replace(b"\r\n..", b"\r\n.")[2:])
            totals.keep_first = None
        del self.buffer[:end + len(END)]
        self.in_data = False
        self.transport.write(b"250 OK\r\n")
        return True


async def serve(port: int, totals: Totals) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Session(totals), "127.0.0.1", port,
                                      reuse_address=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    print("ready", flush=True)
    async with server:
        await stop.wait()
    print(totals.messages, totals.bytes, totals.recipients, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("port", type=int)
    ap.add_argument("--keep-first", type=Path, metavar="FILE")
    args = ap.parse_args(argv)
    asyncio.run(serve(args.port, Totals(args.keep_first)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
