"""broker.py — `vigil dev-broker` for the Python tests, and deadline polls.

    b = Broker(vigil, tmp, ["payments:2"])     # its own process, loopback only
    b.boot                                      # "127.0.0.1:PORT"
    b.must("down 1"); b.control("frob")         # a command: checked / its raw answer
    rc = b.stop(); b.rest                       # SIGTERM; what it printed after
"""
import os
import select
import signal
import socket
import subprocess
import threading
import time


def wait_for(what, cond, timeout=30.0, step=0.002):
    """Poll cond() until it returns a true value (returned) or time runs out."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(step)  # a polling interval, not a synchronisation


def free_port():
    """A loopback port with the one after it also free (nothing listens on them now)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 65535:
            try:
                with socket.socket() as s2:
                    s2.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


class Broker:
    """`vigil dev-broker` in its own process, driven through stdin/stdout."""

    def __init__(self, vigil, tmp, topics, port=None):
        self.port = port or free_port()
        self.ready = os.path.join(tmp, "broker.ready")
        args = [vigil, "dev-broker", "--port", str(self.port), "--ready-file", self.ready]
        for t in topics:
            args += ["--topic", t]
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=open(os.path.join(tmp, "broker.err"), "w"))
        self.buf = b""
        self.rest = ""
        self.lock = threading.Lock()
        # "dev-broker: listening on ...", once its listeners are bound; it reads
        # commands only after writing the ready file, so the first answer orders
        # the file's read (no poll)
        self.first_line = self.line(10)
        self.must("bootstrap")
        with open(self.ready) as f:
            self.boot = f.read().strip()

    def line(self, timeout=10):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]:
                raise TimeoutError("no answer from dev-broker")
            chunk = os.read(self.p.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError("dev-broker closed its output")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def control(self, cmd):
        """Send one command; its answer line, as it is."""
        with self.lock:
            self.p.stdin.write((cmd + "\n").encode())
            self.p.stdin.flush()
            return self.line()

    def must(self, cmd):
        """Send one command that must succeed (answer "ok ..."); its answer."""
        answer = self.control(cmd)
        if not answer.startswith("ok"):
            raise RuntimeError(f"dev-broker: {cmd}: {answer}")
        return answer

    def stop(self):
        """SIGTERM; the exit status. What it printed after its last answer: self.rest."""
        self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(30)
        self.rest = self.buf.decode() + self.p.stdout.read().decode()
        return rc
