"""Reading numbers back out of a figure: ce_viz.figures sends arrays as plotly.js typed
arrays (``{dtype, bdata, shape}``), as Plotly itself would on the way to the browser, and
images as PNG data URIs."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
from PIL import Image


def plotted(value: Any) -> np.ndarray:
    """A figure property's numbers as an array: a typed array decoded (with its shape), a
    list or an array as it is.

    >>> plotted({"dtype": "f4", "bdata": "AADAPwAAAEA="}).tolist()
    [1.5, 2.0]
    >>> plotted([1, 2]).tolist()
    [1, 2]
    """
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return array
    return np.asarray(value)


def png_pixels(uri: str) -> np.ndarray:
    """The RGBA pixels of a PNG data URI, decoded by Pillow (rows, columns, 4)."""
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    with Image.open(io.BytesIO(base64.b64decode(uri[len(prefix) :]))) as image:
        assert image.mode in ("RGBA", "P")
        return np.asarray(image.convert("RGBA"))
