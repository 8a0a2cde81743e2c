"""The upload size limit, enforced while the request body streams in.

Django's own handlers keep a file in memory or write it whole to the temporary folder and
only then say how big it was. This handler runs before them and skips the file as soon as it
passes PUSHADMIN_MAX_UPLOAD_MB (at once when the request's declared length already proves it
is too big), so an oversized upload never reaches the temporary folder. The refusal is left
on the request for the form to show as a field error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest
from django.utils.translation import gettext as _

MB = 1024 * 1024
# What a multipart body may carry besides the file: the other fields and the part headers.
FORM_ALLOWANCE = 64 * 1024
_REFUSALS = "refused_uploads"


@dataclass(frozen=True)
class RefusedUpload:
    field_name: str
    file_name: str
    limit_mb: int

    @property
    def message(self) -> str:
        return _(
            "The file is over %(limit)s MB and was not stored; the limit is %(limit)s MB. "
            "Split it into several audiences."
        ) % {"limit": self.limit_mb}


def refused_upload(request: HttpRequest, field_name: str) -> RefusedUpload | None:
    """The upload of `field_name` this request's body carried and the size limit refused, if any."""
    refusals: dict[str, RefusedUpload] = getattr(request, _REFUSALS, {})
    return refusals.get(field_name)


class SizeLimitedUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit_mb: int = settings.PUSHADMIN_MAX_UPLOAD_MB
        self.request_length = 0

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: str | None = None
    ) -> None:
        self.request_length = content_length or 0

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        fields_allowance = (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) + FORM_ALLOWANCE
        if self.request_length > self.limit_mb * MB + fields_allowance:
            self._refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit_mb * MB:
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the handlers after this one build the file

    def _refuse(self) -> NoReturn:
        if self.request is not None:
            refusals = getattr(self.request, _REFUSALS, {})
            refusals[self.field_name] = RefusedUpload(self.field_name, self.file_name or "", self.limit_mb)
            setattr(self.request, _REFUSALS, refusals)
        # The parser closes (and so deletes) what the later handlers began, and reads past the
        # rest of this file without storing it; the form's other fields are still read.
        raise SkipFile
