"""Trained models as bytes (for a database BinaryField) and back, with a per-process cache.

Layout: a magic line, a length-prefixed JSON header with the metadata, then the zlib-compressed
pickle of the model. The header can be read without unpickling anything.

Unpickling runs code: only load bytes this application stored itself, never uploaded ones.
"""

from __future__ import annotations

import json
import pickle
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import sklearn

from surveys.analytics.negative_model import MODEL_KIND as NEGATIVE_KIND
from surveys.analytics.negative_model import NegativeModel
from surveys.analytics.themes import MODEL_KIND as THEMES_KIND
from surveys.analytics.themes import ThemeClassifier

TextModel = NegativeModel | ThemeClassifier

_MAGIC = b"VOCPLATFORM-MODEL/1\n"
_LENGTH = struct.Struct(">I")
_CACHE_SIZE = 8


class ModelFormatError(ValueError):
    """The bytes are not a model this code wrote."""


@dataclass(frozen=True)
class ModelMetadata:
    """What is known about a stored model; ``figures`` holds evaluation results such as CV F1."""

    kind: str
    version: str
    training_size: int
    created_at: str
    sklearn_version: str
    figures: Mapping[str, float] = field(default_factory=dict)


def model_metadata(model: TextModel, *, figures: Mapping[str, float] | None = None) -> ModelMetadata:
    return ModelMetadata(
        kind=NEGATIVE_KIND if isinstance(model, NegativeModel) else THEMES_KIND,
        version=model.version,
        training_size=model.training_size,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        sklearn_version=sklearn.__version__,
        figures=dict(figures or {}),
    )


def model_to_bytes(model: TextModel, *, figures: Mapping[str, float] | None = None) -> tuple[bytes, ModelMetadata]:
    """Serialise ``model``; returns the bytes and the metadata written into them."""
    metadata = model_metadata(model, figures=figures)
    header = json.dumps(asdict(metadata), sort_keys=True).encode()
    body = zlib.compress(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL), 6)
    return _MAGIC + _LENGTH.pack(len(header)) + header + body, metadata


def read_metadata(data: bytes) -> ModelMetadata:
    """The metadata of stored model bytes, without unpickling the model."""
    header, _ = _split(data)
    return header


def model_from_bytes(data: bytes) -> tuple[TextModel, ModelMetadata]:
    """Rebuild a model from :func:`model_to_bytes` output (trusted bytes only, see module doc)."""
    metadata, body = _split(data)
    try:
        model = pickle.loads(zlib.decompress(body))  # noqa: S301 - our own bytes only, see the module docstring
    except (zlib.error, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
        raise ModelFormatError(f"model {metadata.version} cannot be unpickled: {error}") from error
    if not isinstance(model, NegativeModel | ThemeClassifier) or model.version != metadata.version:
        raise ModelFormatError(f"model bytes do not hold model {metadata.version}")
    return model, metadata


_cache: OrderedDict[str, TextModel] = OrderedDict()
_cache_lock = threading.Lock()


def load_model(version: str, fetch: Callable[[], bytes]) -> TextModel:
    """The model ``version``, unpickled once per process; ``fetch`` is called only on a miss.

    Versions are immutable (a retrain gets a new version), so a cached model is never stale. The
    few most recently used are kept.
    """
    with _cache_lock:
        if version in _cache:
            _cache.move_to_end(version)
            return _cache[version]
    model, metadata = model_from_bytes(fetch())
    if metadata.version != version:
        raise ModelFormatError(f"asked for model {version}, the bytes hold {metadata.version}")
    with _cache_lock:
        _cache[version] = model
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return model


def clear_model_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _split(data: bytes) -> tuple[ModelMetadata, bytes]:
    if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + _LENGTH.size:
        raise ModelFormatError("not a vocplatform model")
    start = len(_MAGIC) + _LENGTH.size
    (length,) = _LENGTH.unpack(data[len(_MAGIC) : start])
    try:
        fields = json.loads(data[start : start + length])
        metadata = ModelMetadata(**fields)
    except (ValueError, TypeError) as error:
        raise ModelFormatError(f"unreadable model header: {error}") from error
    return metadata, data[start + length :]
