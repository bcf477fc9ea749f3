"""Django settings of the interop app: channels_redis on the test's Redis and prefix."""
import os

SECRET_KEY = "interop-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["channels"]
DATABASES = {}
USE_TZ = True
ASGI_APPLICATION = "interop_asgi.application"
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": os.environ["INTEROP_REDIS_HOSTS"].split(","),
            "prefix": os.environ["INTEROP_PREFIX"],
        },
    }
}
