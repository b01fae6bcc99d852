"""Tokens of images and documents by the rules the API documents, not by base64 length.

Images (vision docs): tokens = width x height / 750, after the image is scaled down to fit a
long edge of 1,568 px and about 1.15 megapixels. The size is read from the image header
(Pillow opens lazily: only the header is parsed). An image the fake cannot see (a URL or file
id, or bytes Pillow cannot read) counts as the largest image: 1.15 MP / 750 = 1,534 tokens.

PDFs (PDF support docs): every page is read as text and as an image; the docs give 1,500-3,000
text tokens per page, so a page counts 1,500 + the tokens of a full-size page image. Pages
are counted from the PDF's page objects. Plain-text documents count as their text, content
documents as their blocks.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
from typing import Any

MAX_EDGE = 1568
MAX_PIXELS = 1_150_000
PIXELS_PER_TOKEN = 750
MAX_IMAGE_TOKENS = math.ceil(MAX_PIXELS / PIXELS_PER_TOKEN)  # 1,534
PDF_PAGE_TEXT_TOKENS = 1_500
PDF_PAGE_TOKENS = PDF_PAGE_TEXT_TOKENS + MAX_IMAGE_TOKENS
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def scaled_image_tokens(width: int, height: int) -> int:
    """Tokens of a width x height image after the API's downscaling."""
    if width <= 0 or height <= 0:
        return 0
    scale = min(1.0, MAX_EDGE / max(width, height), math.sqrt(MAX_PIXELS / (width * height)))
    w, h = max(1, int(width * scale)), max(1, int(height * scale))
    return math.ceil(w * h / PIXELS_PER_TOKEN)


def _decoded(source: Any) -> bytes | None:
    if not isinstance(source, dict) or source.get("type") != "base64":
        return None
    try:
        return base64.b64decode(str(source.get("data", "")), validate=False)
    except (binascii.Error, ValueError):
        return None


def image_tokens(source: Any) -> int:
    data = _decoded(source)
    if data is None:
        return MAX_IMAGE_TOKENS
    from PIL import Image, UnidentifiedImageError  # not on the start-up path of text-only use

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return MAX_IMAGE_TOKENS
    return scaled_image_tokens(width, height)


def document_tokens(source: Any) -> int:
    if not isinstance(source, dict):
        return PDF_PAGE_TOKENS
    kind = source.get("type")
    if kind == "text":
        return -(-len(str(source.get("data", ""))) // 4)
    if kind == "content":
        from harness.fake_llm.tokens import block_tokens  # tokens.py imports this module

        content = source.get("content")
        if isinstance(content, str):
            return -(-len(content) // 4)
        return sum(block_tokens(b) for b in content or [])
    data = _decoded(source)
    if data is None:
        return PDF_PAGE_TOKENS  # a URL or file id: one page assumed
    return max(1, len(_PDF_PAGE.findall(data))) * PDF_PAGE_TOKENS
