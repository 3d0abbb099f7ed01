#!/usr/bin/env python3
"""An HTTP origin and proxy for the outbound client's tests, on Python's http.server and ssl
(an implementation nobody here wrote). Prints its port on the first line of standard output.

    origin.py certificates DIR            write a test CA, a certificate it signs for 127.0.0.1
                                          and localhost, and a self-signed one for other.example
    origin.py origin [--tls CERT KEY]     the origin (paths below)
    origin.py proxy [--auth USER:PASS]    a forward proxy: CONNECT tunnels, absolute-form GETs
    origin.py static DIR [--tls CERT KEY] the files under DIR, as a static host serves them
"""
import datetime
import hashlib
import http.server
import json
import os
import select
import socket
import ssl
import sys
import threading
import time
from pathlib import Path

BIG = b"x" * 1_000_000
ACTIVE = {"now": 0, "most": 0}
ACTIVE_LOCK = threading.Lock()


class Origin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        if path == "/length":
            self.answer(200, b"hello, length", {"X-Answer": "length"})
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"7;name=value\r\nhello, \r\n7\r\nchunked\r\n0\r\nX-Trailer: ignored\r\n\r\n")
        elif path == "/close":
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello, close")
            self.close_connection = True
        elif path == "/interim":
            self.wfile.write(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n")
            self.answer(200, b"after the hints")
        elif path == "/big":
            self.answer(200, BIG)
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b"4000\r\n" + b"y" * 0x4000 + b"\r\n")
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass
        elif path == "/slow":
            with ACTIVE_LOCK:
                ACTIVE["now"] += 1
                ACTIVE["most"] = max(ACTIVE["most"], ACTIVE["now"])
            time.sleep(0.2)
            with ACTIVE_LOCK:
                ACTIVE["now"] -= 1
                most = ACTIVE["most"]
            self.answer(200, str(most).encode())
        elif path == "/stall":
            time.sleep(20)
        elif path == "/short":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
            self.close_connection = True
        elif path == "/garbage":
            self.wfile.write(b"SMTP ready\r\n\r\n")
            self.close_connection = True
        elif path == "/huge-head":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"z" * 70_000 + b"\r\n\r\n")
            self.close_connection = True
        elif path.startswith("/redirect/"):
            left = int(path.rsplit("/", 1)[1])
            if left == 0:
                self.answer(200, b"arrived")
            else:
                self.answer(302, b"", {"Location": f"/redirect/{left - 1}"})
        elif path.startswith("/echo"):
            self.echo(b"")
        else:
            self.answer(404, b"no such path")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.echo(self.rfile.read(length))

    def echo(self, body: bytes) -> None:
        seen = {"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                "body_sha256": hashlib.sha256(body).hexdigest(), "body_bytes": len(body)}
        self.answer(200, json.dumps(seen).encode(), {"Content-Type": "application/json"})

    def log_message(self, *args) -> None:
        pass


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    auth: str | None = None

    def authorized(self) -> bool:
        import base64
        if Proxy.auth is None:
            return True
        expected = "Basic " + base64.b64encode(Proxy.auth.encode()).decode()
        if self.headers.get("Proxy-Authorization") == expected:
            return True
        self.send_response(407)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_CONNECT(self) -> None:
        if not self.authorized():
            return
        host, port = self.path.rsplit(":", 1)
        upstream = socket.create_connection((host.strip("[]"), int(port)))
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        sockets = [self.connection, upstream]
        while True:
            ready, _, _ = select.select(sockets, [], [], 10)
            if not ready:
                break
            for s in ready:
                data = s.recv(65536)
                if not data:
                    upstream.close()
                    self.close_connection = True
                    return
                (upstream if s is self.connection else self.connection).sendall(data)

    def do_GET(self) -> None:
        if not self.authorized():
            return
        body = f"proxied {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def certificates(directory: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def write(stem: str, key, certificate) -> None:
        (directory / f"{stem}.key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        (directory / f"{stem}.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))

    def build(subject: str, issuer: str, key, signer, sans, ca: bool):
        builder = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = build("genledger test CA", "genledger test CA", ca_key, ca_key, None, True)
    write("ca", ca_key, ca)
    server_key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    write("server", server_key, build("localhost", "genledger test CA", server_key, ca_key, sans, False))
    other_key = ec.generate_private_key(ec.SECP256R1())
    write("other", other_key, build("other.example", "genledger test CA", other_key, ca_key, [x509.DNSName("other.example")], False))


def main() -> None:
    mode = sys.argv[1]
    if mode == "certificates":
        certificates(Path(sys.argv[2]))
        return
    arguments = sys.argv[2:]
    if mode == "static":
        root = arguments.pop(0)

        class Static(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, directory=root, **kwargs)

            def log_message(self, *args) -> None:
                pass

        handler = Static
    else:
        handler = Origin if mode == "origin" else Proxy
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if "--tls" in arguments:
        at = arguments.index("--tls")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(arguments[at + 1], arguments[at + 2])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    if "--auth" in arguments:
        Proxy.auth = arguments[arguments.index("--auth") + 1]
    print(server.server_address[1], flush=True)
    # Ends with its standard input: a test process that dies leaves no server behind.
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
