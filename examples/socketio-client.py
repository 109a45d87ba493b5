"""Follow a relay's live events over Socket.IO from Python, with the python-socketio client.

    pip install "python-socketio[client]"   (Debian/Ubuntu: apt install python3-socketio python3-websocket)
    HOOKRELAY_URL=http://127.0.0.1:8080 HOOKRELAY_ADMIN_TOKEN=... python3 examples/socketio-client.py [SOURCE]...

Prints one line per event and resumes after the last event seen when the connection comes back.
"""

import os
import sys

import socketio

URL = os.environ.get("HOOKRELAY_URL", "http://127.0.0.1:8080")
TOKEN = os.environ["HOOKRELAY_ADMIN_TOKEN"]  # or a read-only subscriber token
SOURCES = sys.argv[1:] or None

sio = socketio.Client(reconnection=True)
last_id = None


@sio.event
def connect():
    # python-socketio does not take part in Socket.IO's connection state recovery, so every connect is
    # a new session: subscribe again, after the last event seen (the relay replays what was missed).
    sio.emit("subscribe", {"sources": SOURCES, "after": last_id}, callback=subscribed)


def subscribed(ack):
    if not ack.get("ok"):
        print(f"subscribe refused: {ack['error']['code']}: {ack['error']['message']}", file=sys.stderr, flush=True)
        sio.disconnect()
        return
    print(f"subscribed (after {last_id})", file=sys.stderr, flush=True)


@sio.on("event")
def on_event(event, *_offset):
    # The relay's Socket.IO server has connection state recovery on, so it sends each broadcast event
    # with one more argument: the recovery offset. JavaScript clients drop it; python-socketio passes
    # it on, so a handler written as on_event(event) fails with "takes 1 positional argument but 2
    # were given". Accept and ignore it.
    global last_id
    last_id = event["id"]
    print(event["received_at"], event["source"], event["type"], event["id"], flush=True)


@sio.on("gap")
def on_gap(gap):
    print(f"events before {gap['oldest_id']} are past retention and were skipped", file=sys.stderr, flush=True)


@sio.event
def connect_error(data):
    print(f"connect error: {data}", file=sys.stderr, flush=True)


sio.connect(URL, socketio_path="/socket.io", auth={"token": TOKEN}, transports=["websocket"])
sio.wait()
