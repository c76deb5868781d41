"""Reading numbers back out of a figure: ce_viz.figures sends arrays as plotly.js typed
arrays (``{dtype, bdata, shape}``), as Plotly itself would on the way to the browser."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np


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
