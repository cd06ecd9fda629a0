"""Server-side WebRTC media of the media worker: ringback, hold, recording. See `engine.MediaEngine`
and the message protocol in `apps.media.protocol`."""
