"""A small expect: runs a program on a new pseudo-terminal, as its
controlling terminal, and lets a test wait for output and type answers."""

import os
import pty
import re
import select
import signal
import time


class Pty:
    def __init__(self, argv, env):
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid = pid
        self.fd = fd
        self.output = ""
        self._pos = 0
        self.status = None

    def _read(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 4096)
        except OSError:           # EIO: the other side is closed
            data = b""
        if not data:
            raise EOFError
        self.output += data.decode("utf-8", "replace")
        return True

    def expect(self, pattern, timeout=20):
        """Waits for PATTERN (a regex) in the output after the last match."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = regex.search(self.output, self._pos)
            if m:
                self._pos = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out waiting for %r; output so far:\n%s"
                                     % (pattern, self.output))
            try:
                self._read(min(left, 0.2))
            except EOFError:
                raise AssertionError("the program ended before %r; output:\n%s"
                                     % (pattern, self.output))

    def send(self, text):
        os.write(self.fd, text.encode())

    def wait(self, timeout=20):
        """Reads to the end and returns the exit code (kills after TIMEOUT)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._read(0.1)
            except EOFError:
                time.sleep(0.05)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                self.close()
                raise AssertionError("still running after %d s:\n%s" % (timeout, self.output))
        try:
            while self._read(0.05):
                pass
        except EOFError:
            pass
        self.close()
        return self.status

    def close(self):
        """Closes the terminal; a program still running is killed and reaped."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                _, status = os.waitpid(self.pid, 0)
                self.status = os.waitstatus_to_exitcode(status)
            except (ProcessLookupError, ChildProcessError):
                pass
