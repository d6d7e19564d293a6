#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Start-up time of `canaille fcgi`: from the exec of the supervisor to the first 200 on a
URL through nginx, polled every millisecond over a fresh connection (bench/run.sh).

usage: startup.py URL LOGFILE -- canaille --config FILE fcgi --listen ... --workers 2
Prints the milliseconds on stdout and the supervisor's PID on stderr, leaves it running.
"""
import http.client
import subprocess
import sys
import time
import urllib.parse


def main():
    url, log = sys.argv[1], sys.argv[2]
    argv = sys.argv[sys.argv.index("--") + 1:]
    parts = urllib.parse.urlsplit(url)
    with open(log, "ab") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stderr=err, stdout=err)
    deadline = t0 + 20
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
            conn.request("GET", parts.path or "/")
            if conn.getresponse().status == 200:
                print(f"{(time.monotonic() - t0) * 1000:.1f}")
                print(proc.pid, file=sys.stderr)
                return 0
        except OSError:
            pass
        if proc.poll() is not None:
            print("canaille exited", file=sys.stderr)
            return 1
        time.sleep(0.001)
    print("no answer in 20 s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
