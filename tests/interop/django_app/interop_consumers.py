"""
A Django Channels consumer the Node test drives over a WebSocket.

It joins the group "interop.python", reports its channel name, sends the
reference payload to a group or a channel on request, and reports every
layer message it gets with the Python type of each value, so the Node side
can check types exactly (int vs float, bytes vs str).
"""
from channels.generic.websocket import AsyncJsonWebsocketConsumer

PYTHON_GROUP = "interop.python"

# What Python sends; the Node test expects exactly these values and types.
PAYLOAD = {
    "text": "héllo ✓",
    "count": 42,
    "big": 2**40,
    "neg": -7,
    "ratio": 1.5,
    "whole_float": 2.0,
    "yes": True,
    "no": False,
    "nothing": None,
    "nested": {"list": [1, "two", [3.25, None]], "deep": {"k": "v"}},
    "blob": b"\x00\x01\xfe\xff",
    "nested_blob": [b"hi"],
}


def describe(value):
    """Tag every value with its Python type (bool before int: bool is an int)."""
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, int):
        return {"t": "int", "v": str(value)}
    if isinstance(value, float):
        return {"t": "float", "v": repr(value)}
    if isinstance(value, str):
        return {"t": "str", "v": value}
    if isinstance(value, bytes):
        return {"t": "bytes", "v": value.hex()}
    if value is None:
        return {"t": "none"}
    if isinstance(value, list):
        return {"t": "list", "v": [describe(v) for v in value]}
    if isinstance(value, dict):
        return {"t": "dict", "v": {k: describe(v) for k, v in value.items()}}
    return {"t": type(value).__name__, "v": repr(value)}


class InteropConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        await self.accept()
        await self.channel_layer.group_add(PYTHON_GROUP, self.channel_name)
        await self.send_json({"event": "ready", "channel": self.channel_name})

    async def disconnect(self, code):
        await self.channel_layer.group_discard(PYTHON_GROUP, self.channel_name)

    async def receive_json(self, content):
        action = content.get("action")
        message = {"type": "interop.payload", "via": content.get("via", action), **PAYLOAD}
        if action == "group_send":
            await self.channel_layer.group_send(content["group"], message)
        elif action == "send":
            await self.channel_layer.send(content["channel"], message)
        else:
            await self.send_json({"event": "error", "reason": f"unknown action {action!r}"})
            return
        await self.send_json({"event": "sent", "action": action})

    async def interop_payload(self, event):
        await self.send_json({"event": "got", "payload": describe(event)})
