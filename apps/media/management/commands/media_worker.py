import asyncio
from typing import Any

from django.core.management.base import BaseCommand

from apps.media.worker import MediaWorker


class Command(BaseCommand):
    help = "Run a media worker (WebRTC peers for ringback, hold and recording)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            asyncio.run(MediaWorker().run())
        except KeyboardInterrupt:
            pass
