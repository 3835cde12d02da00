#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""xs-proxy.py - a xenstore socket in front of the sandbox's real xenstored
that misbehaves on one request type, for tests/hostile/hostile.sh:

  xs-proxy.py LISTEN UPSTREAM TYPE ACTION

Every request goes to UPSTREAM and every reply comes back unchanged, but
the first request of TYPE (DIRECTORY, READ, WRITE, TRANSACTION_START,
TRANSACTION_END, ...) and every later one get, instead of being forwarded:
  error:ERRNO   an XS_ERROR reply naming ERRNO (EACCES, EAGAIN, ...)
  huge          a reply header claiming 4 GiB of payload
  wrongtype     a reply of another type than the request's
  close         the connection closed
The request is never forwarded, so a refused write writes nothing.
"""
import collections
import os
import socket
import struct
import sys
import threading

TYPES = {"DIRECTORY": 1, "READ": 2, "GET_PERMS": 3, "WATCH": 4,
         "TRANSACTION_START": 6, "TRANSACTION_END": 7,
         "GET_DOMAIN_PATH": 10, "WRITE": 11, "MKDIR": 12, "RM": 13,
         "SET_PERMS": 14}
XS_ERROR = 16
HEADER = struct.Struct("<IIII")        # type, req_id, tx_id, len


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        part = sock.recv(n - len(buf))
        if not part:
            return None
        buf += part
    return buf


def read_msg(sock):
    head = read_exact(sock, HEADER.size)
    if head is None:
        return None
    body = read_exact(sock, HEADER.unpack(head)[3])
    return None if body is None else head + body


def serve(client, upstream_path, target, action):
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    up.connect(upstream_path)
    lock = threading.Lock()
    # xenstored answers a connection's requests in order, and xenbake relies
    # on it: a reply made up here waits for the upstream replies owed
    # before it. queue: None for an upstream reply owed, else bytes to send
    # (b"" for "close the connection")
    queue = collections.deque()
    done = threading.Event()

    def flush():                  # with lock held
        while queue and queue[0] is not None:
            msg = queue.popleft()
            if not msg:
                done.set()
                try:
                    client.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            client.sendall(msg)

    def replies():
        while True:
            try:
                msg = read_msg(up)
            except OSError:
                break
            if msg is None:
                break
            with lock:
                try:
                    if queue and queue[0] is None:
                        queue.popleft()
                    client.sendall(msg)
                    flush()
                except OSError:
                    break
        client.close()

    threading.Thread(target=replies, daemon=True).start()
    while not done.is_set():
        try:
            msg = read_msg(client)
        except OSError:
            break
        if msg is None:
            break
        typ, req, tx, _ = HEADER.unpack(msg[:HEADER.size])
        with lock:
            if typ != target:
                queue.append(None)
                up.sendall(msg)
                continue
            if action.startswith("error:"):
                err = action[6:].encode() + b"\0"
                queue.append(HEADER.pack(XS_ERROR, req, tx, len(err)) + err)
            elif action == "huge":
                queue.append(HEADER.pack(typ, req, tx, 0xffffffff) + b"x" * 64)
            elif action == "wrongtype":
                other = TYPES["GET_PERMS"] if typ != TYPES["GET_PERMS"] else TYPES["READ"]
                queue.append(HEADER.pack(other, req, tx, 3) + b"OK\0")
            elif action == "close":
                queue.append(b"")     # and nothing more is forwarded
            try:
                flush()
            except OSError:
                break
        if action == "close":
            done.wait()
            break
    client.close()
    up.close()


def main():
    listen, upstream, typ, action = sys.argv[1:5]
    target = TYPES[typ]
    try:
        os.unlink(listen)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(listen + ".tmp")
    srv.listen(16)
    os.rename(listen + ".tmp", listen)     # appears once it accepts
    while True:
        client, _ = srv.accept()
        threading.Thread(target=serve, args=(client, upstream, target, action),
                         daemon=True).start()


if __name__ == "__main__":
    main()
