"""Attack: reach the host's services: TCP on localhost, unix sockets, abstract sockets.

The test listens on a TCP port of 127.0.0.1, a unix socket path and an abstract unix socket of
the host ("HOST_TCP_PORT", "HOST_UNIX_SOCKET", "HOST_ABSTRACT_SOCKET"); the usual database,
broker and API ports and sockets are tried too. A box has its own empty network namespace.
"""

import socket

NAME = "network"
host_tcp_port = "HOST_TCP_PORT"
host_unix_socket = "HOST_UNIX_SOCKET"
host_abstract_socket = "HOST_ABSTRACT_SOCKET"
UNIX_SOCKETS = [
    "/run/postgresql/.s.PGSQL.5432",
    "/var/run/postgresql/.s.PGSQL.5432",
    "/tmp/.s.PGSQL.5432",
    "/run/redis/redis.sock",
    "/run/redis/redis-server.sock",
    "/var/run/redis/redis-server.sock",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/dbus/system_bus_socket",
    "/run/systemd/private",
]


def connect(family, address):
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        try:
            sock.connect(address)
            return "connected"
        except OSError as exc:
            return f"{type(exc).__name__}: {exc.strerror or exc}"


def attack():
    if isinstance(host_tcp_port, str):
        raise RuntimeError("the test did not fill in the placeholders")
    results = {}
    for port in (5432, 6379, 8000, 5672, host_tcp_port):
        results[f"127.0.0.1:{port}"] = connect(socket.AF_INET, ("127.0.0.1", port))
        results[f"[::1]:{port}"] = connect(socket.AF_INET6, ("::1", port))
    results["169.254.169.254:80"] = connect(socket.AF_INET, ("169.254.169.254", 80))
    for path in [*UNIX_SOCKETS, host_unix_socket]:
        results[path] = connect(socket.AF_UNIX, path)
    for name in (host_abstract_socket, "/tmp/.X11-unix/X0", "/org/freedesktop/systemd1/notify"):
        results["@" + name] = connect(socket.AF_UNIX, "\0" + name)
    try:
        with open("/proc/net/unix") as file:
            listening = [line.split()[-1] for line in file.readlines()[1:] if len(line.split()) > 7]
    except OSError as exc:
        listening = f"{type(exc).__name__}: {exc.strerror}"
    interfaces = sorted(name for _, name in socket.if_nameindex())
    connected = [address for address, result in results.items() if result == "connected"]
    report(
        bool(connected),
        {
            "connected": connected,
            "results": results,
            "unix_sockets_seen": listening,
            "interfaces": interfaces,
        },
    )


attack()
