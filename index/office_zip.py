"""Word, Excel and PowerPoint files are zip archives: each is checked before a library opens it.

A zip bomb (a few kilobytes that inflate to gigabytes) is refused by the sizes its central directory
declares, read without inflating anything; Python's zipfile, which the libraries read through, never
inflates a member past its declared size (a member that would is a CRC error: a corrupt file). A
password-protected Office file is no zip at all but an OLE container, and says so by its first bytes."""

from __future__ import annotations

import io
import zipfile

from groundqa.errors import InvalidDocument

MAX_UNZIPPED_MB = 200  # all members together, as declared
MAX_MEMBERS = 10_000
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File Binary: encrypted OOXML, or .doc/.xls/.ppt


def check_office_zip(data: bytes, kind: str) -> None:
    """Raise InvalidDocument unless `data` is a zip archive of sane declared size. `kind`: "Word
    (.docx)", "Excel (.xlsx)" or "PowerPoint (.pptx)"."""
    if data.startswith(_OLE_MAGIC):
        raise InvalidDocument(f"password-protected (encrypted) {kind} file, or one saved in the old binary "
                              "format: remove the password, or save it again as a current file, and index that")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise InvalidDocument(f"corrupt or not a {kind} file (not a readable zip archive: {exc})") from None
    if len(members) > MAX_MEMBERS:
        raise InvalidDocument(f"{kind} file holds {len(members):,} parts, over the limit of {MAX_MEMBERS:,}; "
                              "nothing was read")
    unzipped = sum(member.file_size for member in members)
    if unzipped > MAX_UNZIPPED_MB * 1024 * 1024:
        raise InvalidDocument(f"{kind} file would inflate to {unzipped / 2**20:,.0f} MiB, over the limit of "
                              f"{MAX_UNZIPPED_MB} MiB unzipped (a zip bomb?); nothing was read")


def library_error(exc: Exception, kind: str) -> InvalidDocument:
    """What a library's own exception on a damaged file becomes."""
    if isinstance(exc, InvalidDocument):
        return exc
    detail = str(exc).splitlines()[0][:200] if str(exc) else ""
    return InvalidDocument(f"corrupt or unreadable {kind} file ({exc.__class__.__name__}"
                           f"{': ' + detail if detail else ''})")
