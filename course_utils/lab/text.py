"""Real English text with no download: the standard library's ``pydoc_data`` topics.

Every CPython installation carries ``pydoc_data.topics``, the language reference text that
``help()`` shows (about 0.46 million characters in Python 3.11). The corpus here is that
text, topics in sorted order, read at run time and tokenised one character per token;
nothing is copied into the course. Because the text differs between Python versions, the
SHA-256 of the exact text used is recorded beside every result (:meth:`PydocCorpus.data_hash`).

The split is fixed: the first 90 % of characters train, the last 10 % validate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

__all__ = ["PydocCorpus"]

#: Characters map to their code point below 127; everything else to 127.
VOCAB_SIZE = 128


def _encode(text: str) -> np.ndarray:
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    return np.minimum(codes, VOCAB_SIZE - 1)


@dataclass(frozen=True)
class PydocCorpus:
    """Character-level text of ``pydoc_data.topics`` with a fixed 90/10 train/validation split.

    Attributes
    ----------
    name : str
        ``"pydoc"`` (the ``corpus`` column of the results schema).
    vocab_size : int
        128: ASCII code points, with every other character mapped to 127.
    """

    validation_fraction: float = 0.1
    name: str = field(default="pydoc", init=False)
    vocab_size: int = field(default=VOCAB_SIZE, init=False)
    _tokens: np.ndarray = field(init=False, repr=False, compare=False)
    _hash: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must be between 0 and 1; got {self.validation_fraction}")
        from pydoc_data import topics

        text = "".join(topics.topics[key] for key in sorted(topics.topics))
        object.__setattr__(self, "_tokens", _encode(text))
        object.__setattr__(self, "_hash", hashlib.sha256(text.encode("utf-8")).hexdigest()[:16])

    @property
    def split(self) -> int:
        return int(len(self._tokens) * (1 - self.validation_fraction))

    @property
    def train_tokens(self) -> np.ndarray:
        return self._tokens[: self.split]

    @property
    def validation_tokens(self) -> np.ndarray:
        return self._tokens[self.split:]

    def data_hash(self) -> str:
        """First 16 hex digits of the SHA-256 of the text (it changes between Python versions)."""
        return self._hash

    def decode(self, tokens) -> str:
        return "".join(chr(int(t)) for t in np.asarray(tokens).ravel())

    def train_windows(self, batch_size: int, length: int, seed: int) -> Iterator[np.ndarray]:
        """Endless batches of ``batch_size`` windows of ``length`` tokens at random offsets."""
        rng = np.random.default_rng([seed, 1])
        data = self.train_tokens
        offsets = np.arange(length)
        while True:
            starts = rng.integers(0, len(data) - length, size=batch_size)
            yield data[starts[:, None] + offsets]

    def validation_windows(self, n_windows: int, length: int) -> np.ndarray:
        """``n_windows`` windows of ``length`` tokens, evenly spaced over the validation text."""
        data = self.validation_tokens
        if len(data) < length:
            raise ValueError(f"length {length} exceeds the validation text ({len(data)} tokens)")
        starts = np.linspace(0, len(data) - length, n_windows).astype(np.int64)
        return data[starts[:, None] + np.arange(length)]

    def oracle_nll(self, windows: np.ndarray) -> None:
        """Real text has no known source: there is no oracle."""
        return None
