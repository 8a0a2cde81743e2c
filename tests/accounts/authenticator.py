"""An authenticator app in a few lines of RFC 6238, independent of the server's django-otp."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time


def code_for(base32_key: str, at: float | None = None) -> str:
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(base64.b32decode(base32_key), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def key_on_page(html: str) -> str:
    match = re.search(r'class="two-factor-key">([A-Z2-7=]+)<', html)
    assert match, "the enrolment page shows no key"
    return match.group(1)
