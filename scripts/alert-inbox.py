#!/usr/bin/env python3
"""The alert inbox: Alertmanager's webhook receiver for the local lattice.

POST /alerts   Alertmanager's webhook payload; each alert in it is kept (and appended to the
               JSON-lines file given with --log) with the time it arrived.
GET  /alerts   every alert received since start, oldest first, as a JSON array
               (?alertname=NAME narrows it).
GET  /healthz  200.

Usage: alert-inbox.py --listen 127.0.0.1:9095 --log .lattice/logs/alerts.jsonl
"""

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

MAX_BODY = 4 * 1024 * 1024
MAX_KEPT = 10_000


class Inbox:
    def __init__(self, log_path):
        self.alerts = []
        self.lock = threading.Lock()
        self.log_path = log_path

    def take(self, payload):
        received = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        alerts = payload.get("alerts")
        if not isinstance(alerts, list):
            raise ValueError("the payload has no `alerts` list")
        kept = []
        for alert in alerts:
            if not isinstance(alert, dict):
                raise ValueError("an alert is not an object")
            kept.append({
                "receivedAt": received,
                "status": alert.get("status"),
                "alertname": (alert.get("labels") or {}).get("alertname"),
                "labels": alert.get("labels") or {},
                "annotations": alert.get("annotations") or {},
                "startsAt": alert.get("startsAt"),
                "endsAt": alert.get("endsAt"),
            })
        with self.lock:
            self.alerts.extend(kept)
            del self.alerts[:-MAX_KEPT]
            if self.log_path:
                with open(self.log_path, "a", encoding="utf-8") as log:
                    for alert in kept:
                        log.write(json.dumps(alert) + "\n")
        for alert in kept:
            print(f"{received} {alert['status']}: {alert['alertname']} {json.dumps(alert['labels'])}",
                  flush=True)
        return len(kept)

    def list(self, alertname=None):
        with self.lock:
            return [a for a in self.alerts if alertname is None or a["alertname"] == alertname]


def handler_for(inbox):
    class Handler(BaseHTTPRequestHandler):
        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/healthz":
                return self.reply(200, {"status": "ok"})
            if url.path != "/alerts":
                return self.reply(404, {"error": "not found: use /alerts"})
            name = parse_qs(url.query).get("alertname", [None])[0]
            self.reply(200, inbox.list(name))

        def do_POST(self):
            if urlparse(self.path).path != "/alerts":
                return self.reply(404, {"error": "not found: use /alerts"})
            try:
                length = int(self.headers.get("content-length", "0"))
            except ValueError:
                return self.reply(400, {"error": "bad content-length"})
            if length <= 0 or length > MAX_BODY:
                return self.reply(400, {"error": "the body must be 1 byte to 4 MiB of JSON"})
            try:
                count = inbox.take(json.loads(self.rfile.read(length)))
            except (ValueError, json.JSONDecodeError) as err:
                return self.reply(400, {"error": f"not an Alertmanager webhook payload: {err}"})
            self.reply(200, {"received": count})

        def log_message(self, *_):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:9095")
    parser.add_argument("--log", default=None)
    args = parser.parse_args()
    host, port = args.listen.rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), handler_for(Inbox(args.log)))
    print(f"alert inbox on http://{args.listen}/alerts", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
