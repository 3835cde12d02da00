# SPDX-License-Identifier: MIT
"""tls-proxy.py CERT KEY PORTFILE HOST:PORT - https in front of the XenAPI
simulator (which speaks http only): accepts TLS on 127.0.0.1 (a free port,
written to PORTFILE) and relays every connection, byte for byte, to
HOST:PORT. Runs until killed."""
import os
import socket
import ssl
import sys
import threading


def relay(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(conn, ctx, target):
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):
        conn.close()
        return
    host, port = target.rsplit(":", 1)
    try:
        up = socket.create_connection((host, int(port)))
    except OSError:
        tls.close()
        return
    threading.Thread(target=relay, args=(up, tls), daemon=True).start()
    relay(tls, up)


def main():
    cert, key, portfile, target = sys.argv[1:5]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    lsn = socket.socket()
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(64)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % lsn.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    while True:
        conn, _ = lsn.accept()
        threading.Thread(target=serve, args=(conn, ctx, target),
                         daemon=True).start()


if __name__ == "__main__":
    main()
