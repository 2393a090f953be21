"""A real S3 API on a free loopback port, in its own process: moto's server.

``python -m tests.s3server`` prints the port it listens on, then serves until its
standard input closes (the test session that started it ends). Tests reach it over
HTTP like any S3 endpoint (``AWS_ENDPOINT_URL``), never through a mock of a client.
``--strict``: every request must be signed with keys the server knows (it knows none),
as a real store treats wrong credentials.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    if "--strict" in sys.argv:
        os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"  # read when moto is imported
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    print(server.get_host_and_port()[1], flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
