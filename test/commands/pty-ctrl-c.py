"""Runs a command under a pseudo-terminal and presses Ctrl-C in it, as a person at a terminal would.

    python3 pty-ctrl-c.py WATCH_FILE MARKER TIMEOUT_S -- COMMAND ARGS...

Forks COMMAND with a new pseudo-terminal as its controlling terminal (stdin, stdout and stderr
all on it), waits until WATCH_FILE contains MARKER, then writes the terminal's interrupt
character (\\x03) to the master side: the terminal driver turns it into SIGINT for the
foreground process group, which is the real Ctrl-C path (no kill() from outside). Reads all
output until the command exits and prints one JSON object: {"exit": code or null, "signal":
number or null, "sent": bool, "output": base64 of everything written to the terminal}.
"""
import base64
import json
import os
import pty
import select
import sys
import time


def main() -> None:
    watch, marker, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    argv = sys.argv[sys.argv.index("--") + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    out = bytearray()
    sent = False
    deadline = time.monotonic() + timeout
    while True:
        if time.monotonic() > deadline:
            os.kill(pid, 9)
        if not sent:
            try:
                with open(watch, encoding="utf-8", errors="replace") as f:
                    if marker in f.read():
                        os.write(fd, b"\x03")
                        sent = True
            except FileNotFoundError:
                pass
        ready, _, _ = select.select([fd], [], [], 0.01)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                data = b""
            if not data:
                break
            out += data
    _, status = os.waitpid(pid, 0)
    print(json.dumps({
        "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "sent": sent,
        "output": base64.b64encode(bytes(out)).decode(),
    }))


main()
