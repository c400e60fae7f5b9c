"""Files built to hurt a server: small on the wire, expensive to read."""

from __future__ import annotations

import zlib


def pdf_bomb(inflated_bytes: int = 5 * 1024 * 1024) -> bytes:
    """A PDF of about 16 KB whose one content stream inflates to `inflated_bytes` of text operators."""
    line = b"BT /F1 12 Tf 72 712 Td (All work and no play makes Jack a dull boy.) Tj ET\n"
    stream = zlib.compress(line * (inflated_bytes // len(line)), 9)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def block_heavy_html(size_bytes: int, text_every: int = 20) -> bytes:
    """A page of `size_bytes` made of small block elements with heavy markup (the shape that made a
    parser that edits the tree per block quadratic); one block in `text_every` holds a word."""
    empty = b'<div class="row item-listing" data-tracking-id="a1b2c3d4e5f6" style="margin:0 4px"><p class="cell"></p></div>\n'
    group = empty * (text_every - 1) + empty.replace(b"></p>", b">listing</p>")
    body = group * (size_bytes // len(group))
    return b"<!doctype html><html><head><title>Big page</title></head><body>" + body + b"</body></html>"


def measure_html_parsing(sizes_mb=(1, 5, 20)) -> None:
    """Print how long the HTML loader takes on block-heavy pages of each size (linear, or not)."""
    import time

    from groundqa.index.loaders import load_html

    for size in sizes_mb:
        page = block_heavy_html(size * 1024 * 1024, text_every=1)
        started = time.perf_counter()
        load_html(page)
        elapsed = time.perf_counter() - started
        print(f"{size:>3} MB: {elapsed:.2f} s ({elapsed / size:.2f} s per MB)")


if __name__ == "__main__":
    measure_html_parsing()
