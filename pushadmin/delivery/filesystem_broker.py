"""Make kombu's filesystem broker (the embedded default) write each message atomically.

kombu's filesystem transport creates `<n>_<uuid>.<queue>.msg` and then writes into it, while
a consumer polling the folder may move and read the file in between: it reads an empty
message, fails to decode it and the whole worker stops ("Unrecoverable error:
JSONDecodeError"). Writing to a name no consumer matches and renaming it into place (atomic
within one folder) means a consumer only ever sees complete messages.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


def _put_atomically(self: Any, queue: str, payload: Any, **kwargs: Any) -> None:
    name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
    final = os.path.join(self.data_folder_out, name)
    partial = final + ".part"  # ends in .part, so no consumer picks it up
    try:
        with open(partial, "wb") as handle:
            handle.write(str_to_bytes(dumps(payload)))
        os.replace(partial, final)
    except OSError as exc:
        raise ChannelError(f"Cannot add file {final!r} to directory") from exc


def install() -> None:
    filesystem.Channel._put = _put_atomically  # type: ignore[method-assign]
