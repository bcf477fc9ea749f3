"""ASGI entry point for daphne: one WebSocket route to the interop consumer."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interop_settings")

import django  # noqa: E402

django.setup()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from interop_consumers import InteropConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {"websocket": URLRouter([path("ws/interop/", InteropConsumer.as_asgi())])}
)
