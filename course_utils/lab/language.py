"""A synthetic language whose entropy rate is known exactly.

The language is a stream of *words* separated by a space token. A lexicon of
``n_words`` distinct letter strings is drawn at random; frequent words are short (Zipf's
law of abbreviation). Words are drawn from a Zipf law, P(rank r) ∝ (r + 1)^(−s). With
``n_classes`` > 1, each word also belongs to a class and the class of the previous word
selects a class-specific ranking of the lexicon, a dependence several tokens back.

The default, 4,096 words with s = 1.8 and a single class, was chosen by measurement for
the lab's budgets (2 CPU cores, ~10^10.6 to ~10^12.7 FLOP per run): a model has to learn
the spellings of ever rarer words, and because their frequencies follow a power law, so
does what is left to learn. The compute-efficient frontier of the course sweep then falls
as a power law onto the floor, which the saturating fit recovers (``tests/test_lab_results.py``).
Lexicons of 1,280 and 1,536 words with s = 1.4 were learnt almost completely inside the
budgets, so the frontier fell *faster* than a power law at its end (a fitted floor 0.3 nats
below the truth); 2,048 words with s = 1.1 left the frontier straight and far above the
floor; and the class dependence, worth ~0.05 nats with 512 words and 8 classes, was learnt so
late that it showed as a plateau (``course_utils/data/SOURCES.md`` lists the probes).

The source is *unifilar*: its hidden state, (class of the previous word, position in the
spelling trie of the current word), is a function of the tokens seen so far once the
first space has been read (before it, the position inside the first word is unknown).
Its entropy rate is therefore exact (Cover & Thomas 2006, Thm. 4.2.4 for a stationary
Markov chain of states; unifilarity makes the token entropy equal the state-transition
entropy):

    h = Σ_s π_s · H(next token | s)

with π the stationary distribution over states, computed in closed form from the
renewal structure (see :meth:`SyntheticLanguage.stationary`).

A window cut from the stream starts in an unknown state, so the fair floor on a
validation window is not h but the source's own predictive NLL given only the tokens in
that window. :meth:`SyntheticLanguage.oracle_nll` computes it exactly by Bayesian
filtering: a belief over states starts at π and is updated token by token. Its mean over
the validation windows, the *window floor*, is what a model scored on those windows can
reach; it exceeds h by what the first tokens of a window cost before the state is known
(and differs from its expectation by the sampling noise of a finite set of windows).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

__all__ = ["SyntheticLanguage", "ALPHABET"]

#: Printable symbols for :meth:`SyntheticLanguage.decode`; index 0 is the space.
ALPHABET = " " + "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "0123456789#@"

SPACE = 0


def _check_int(name: str, value, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer; got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {bound}; got {value}")
    return int(value)


@dataclass(frozen=True)
class SyntheticLanguage:
    """A seeded word language over ``vocab_size`` tokens with an exact entropy rate.

    Parameters
    ----------
    seed : int
        Seed of the lexicon and the class structure (not of sampled text).
    vocab_size : int
        Tokens, 64 to 256: the space (token 0) and ``vocab_size − 1`` letters.
    n_words : int
        Size of the lexicon.
    n_classes : int
        Word classes; the class of the previous word conditions the next word.
    zipf : float
        Exponent s of the class-conditional word law P(rank r) ∝ (r + 1)^(−s).
    class_spread : float
        How much the classes' rankings differ (standard deviation, in log-rank units,
        of the per-class perturbation of a shared ranking).

    Examples
    --------
    >>> lang = SyntheticLanguage(seed=0)
    >>> round(lang.entropy_rate(), 3) > 0
    True
    """

    seed: int = 0
    vocab_size: int = 64
    n_words: int = 4096
    n_classes: int = 1
    zipf: float = 1.8
    class_spread: float = 1.0
    _tables: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_int("seed", self.seed, 0)
        _check_int("vocab_size", self.vocab_size, 64, 256)
        _check_int("n_words", self.n_words, 2)
        _check_int("n_classes", self.n_classes, 1)
        if not (np.isfinite(self.zipf) and self.zipf > 0):
            raise ValueError(f"zipf must be positive and finite; got {self.zipf}")
        if not (np.isfinite(self.class_spread) and self.class_spread >= 0):
            raise ValueError(f"class_spread must be non-negative and finite; got {self.class_spread}")
        object.__setattr__(self, "_tables", self._build())

    # ------------------------------------------------------------------ construction
    def _build(self) -> dict:
        rng = np.random.default_rng(self.seed)
        W, K, V = self.n_words, self.n_classes, self.vocab_size
        letters = V - 1
        # Zipf's law of abbreviation: word of global rank r has 2 + floor(log2(1 + r/4)) letters.
        lengths = np.minimum(2 + np.floor(np.log2(1 + np.arange(W) / 4)).astype(int), 9)
        spellings: list[tuple[int, ...]] = []
        seen: set[tuple[int, ...]] = set()
        for length in lengths:
            while True:
                word = tuple(int(t) for t in rng.integers(1, letters + 1, size=length))
                if word not in seen:
                    seen.add(word)
                    spellings.append(word)
                    break
        word_class = rng.integers(0, K, size=W)
        # class-specific rankings: perturbed log global rank
        scores = np.log1p(np.arange(W))[None, :] + self.class_spread * rng.standard_normal((K, W))
        ranks = np.argsort(np.argsort(scores, axis=1), axis=1)
        p_word = (ranks + 1.0) ** (-self.zipf)
        p_word /= p_word.sum(axis=1, keepdims=True)  # P(w | class of previous word), K × W

        # Spelling trie. Internal nodes 0..M-1 (0 = root, the start of a word); the space
        # after a complete spelling leads to leaf node M + w.
        child: list[list[int]] = [[-1] * V]
        parent_paths: list[list[int]] = []  # internal nodes on each word's path
        for w, word in enumerate(spellings):
            node, path = 0, [0]
            for token in word:
                nxt = child[node][token]
                if nxt == -1:
                    nxt = len(child)
                    child.append([-1] * V)
                    child[node][token] = nxt
                node = nxt
                path.append(node)
            parent_paths.append(path)
        M = len(child)
        child_arr = np.array(child, dtype=np.int64)
        for w, path in enumerate(parent_paths):
            child_arr[path[-1], SPACE] = M + w
        # mass[c, n] = P(the next word, drawn given class c, passes through node n);
        # leaves carry P(w | c); column M + W is an all-zero sink for missing edges.
        mass = np.zeros((K, M + W + 1))
        for w, path in enumerate(parent_paths):
            mass[:, path] += p_word[:, w][:, None]
        mass[:, M:M + W] = p_word
        leaf_class = np.concatenate([np.full(M, -1), word_class, [-1]])
        child_arr[child_arr == -1] = M + W
        return dict(spellings=spellings, lengths=np.array([len(s) for s in spellings]),
                    word_class=word_class, p_word=p_word, child=child_arr, mass=mass,
                    leaf_class=leaf_class, n_internal=M,
                    cdf=np.cumsum(p_word, axis=1))

    # ------------------------------------------------------------------ exact quantities
    def class_transition_matrix(self) -> np.ndarray:
        """Q[c, c'] = P(next word has class c' | previous word had class c)."""
        t = self._tables
        K = self.n_classes
        Q = np.zeros((K, K))
        for c_next in range(K):
            Q[:, c_next] = t["p_word"][:, t["word_class"] == c_next].sum(axis=1)
        return Q

    def stationary(self) -> np.ndarray:
        """Stationary distribution π over states (class, trie node), shape (K, M).

        The word-boundary class chain Q has stationary ρ (solved exactly as a linear
        system). By the renewal-reward theorem the long-run fraction of tokens emitted
        from state (c, n) is ρ_c · P(a word drawn given c passes node n), divided by the
        mean number of tokens per word.
        """
        Q = self.class_transition_matrix()
        K = self.n_classes
        A = np.vstack([Q.T - np.eye(K), np.ones(K)])
        b = np.zeros(K + 1)
        b[-1] = 1.0
        rho = np.linalg.lstsq(A, b, rcond=None)[0]
        visits = rho[:, None] * self._tables["mass"][:, : self._tables["n_internal"]]
        return visits / visits.sum()

    def next_token_probs(self) -> np.ndarray:
        """P(next token | state), shape (K, M, V): the ratio of trie masses of child and node."""
        t = self._tables
        return t["mass"][:, t["child"]] / t["mass"][:, : t["n_internal"], None]

    def conditional_entropy(self) -> np.ndarray:
        """H(next token | state) in nats, shape (K, M), summed over the trie's edges only."""
        t = self._tables
        M, mass = t["n_internal"], t["mass"]
        node, token = np.nonzero(t["child"] != mass.shape[1] - 1)
        p = mass[:, t["child"][node, token]] / mass[:, node]
        terms = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1.0)), 0.0)
        H = np.zeros((self.n_classes, M))
        for c in range(self.n_classes):
            H[c] = np.bincount(node, weights=terms[c], minlength=M)
        return H

    def entropy_rate(self) -> float:
        """Entropy rate h = Σ_s π_s · H(next | s), in nats per token (exact)."""
        return float((self.stationary() * self.conditional_entropy()).sum())

    def mean_word_tokens(self) -> float:
        """Mean tokens per word (letters plus the space), under the stationary class law."""
        pi = self.stationary()
        return float(1.0 / pi[:, 0].sum())

    # ------------------------------------------------------------------ sampling
    name = "synthetic"  # the ``corpus`` column of the results schema

    def sample(self, n_streams: int, length: int, seed: int, burn_in: int = 256) -> np.ndarray:
        """Draw ``n_streams`` independent stationary token streams of ``length`` tokens.

        Each stream starts at a word boundary with the class drawn from the stationary
        class law, and its first ``burn_in`` tokens are dropped, so a stream's first token
        is (to within exp(−burn_in)-small error) in the stationary state π.
        """
        _check_int("n_streams", n_streams, 1)
        _check_int("length", length, 1)
        _check_int("seed", seed, 0)
        return TokenStream(self, n_streams, seed, burn_in).take(length)

    def train_windows(self, batch_size: int, length: int, seed: int) -> Iterator[np.ndarray]:
        """Endless batches (batch_size × length) of fresh text: consecutive windows of streams."""
        stream = TokenStream(self, batch_size, seed, purpose=1)
        while True:
            yield stream.take(length)

    def validation_windows(self, n_windows: int, length: int) -> np.ndarray:
        """Held-out windows from streams whose seeds no training run uses (purpose tag 2)."""
        return TokenStream(self, n_windows, 0, purpose=2).take(length)

    # ------------------------------------------------------------------ oracle
    def oracle_nll(self, windows: np.ndarray) -> np.ndarray:
        """Exact predictive NLL of each token given the earlier tokens of its window.

        Parameters
        ----------
        windows : array of int, shape (n_windows, L) or (L,)
            Windows cut from stationary streams. Token 0 of a window only conditions.

        Returns
        -------
        ndarray, shape (n_windows, L − 1)
            −log P(x_t | x_0 … x_{t−1}), nats, for t = 1 … L − 1: the Bayes-optimal
            predictor that knows the source but not the state before the window,
            computed by filtering a belief over states that starts at π.
        """
        windows = np.atleast_2d(np.asarray(windows))
        if windows.ndim != 2 or windows.shape[1] < 2:
            raise ValueError(f"windows must have shape (n, L) with L >= 2; got {windows.shape}")
        if windows.min() < 0 or windows.max() >= self.vocab_size:
            raise ValueError(f"tokens must lie in [0, {self.vocab_size}); got range "
                             f"[{windows.min()}, {windows.max()}]")
        t = self._tables
        child, mass, leaf_class = t["child"], t["mass"], t["leaf_class"]
        pi = self.stationary()
        c0, n0 = np.nonzero(pi > 0)
        p0 = pi[c0, n0]
        out = np.empty((len(windows), windows.shape[1] - 1))
        after_first: dict[int, tuple] = {}  # the belief after token 0 depends on it alone
        for i, window in enumerate(windows):
            cs, nodes, belief = c0, n0, p0
            for j, token in enumerate(window):
                if j == 0 and token in after_first:
                    cs, nodes, belief = after_first[token]
                    continue
                nxt = child[nodes, token]
                joint = belief * mass[cs, nxt] / mass[cs, nodes]
                total = joint.sum()
                if total <= 0:
                    raise ValueError(f"window {i} has probability zero under this language at token {j}")
                if j > 0:
                    out[i, j - 1] = -np.log(total)
                keep = joint > 0
                cs, nxt, joint = cs[keep], nxt[keep], joint[keep] / total
                if token == SPACE:  # states merge: (class of the finished word, root)
                    uniq, inverse = np.unique(leaf_class[nxt], return_inverse=True)
                    belief = np.bincount(inverse, weights=joint)
                    cs, nodes = uniq, np.zeros_like(uniq)
                else:  # a letter moves each state to a distinct trie child: no merging
                    belief, nodes = joint, nxt
                if j == 0:
                    after_first[int(token)] = (cs, nodes, belief)
        return out

    def oracle_loss(self, tokens: np.ndarray) -> float:
        """Mean of :meth:`oracle_nll` over every predicted token of ``tokens``."""
        return float(self.oracle_nll(tokens).mean())

    # ------------------------------------------------------------------ helpers
    def decode(self, tokens) -> str:
        """Tokens as text (space, a–z, A–Z, 0–9, ...); ids past the alphabet print as '?'."""
        return "".join(ALPHABET[t] if t < len(ALPHABET) else "?" for t in np.asarray(tokens).ravel())

    def config(self) -> dict:
        return {"kind": "SyntheticLanguage", "seed": self.seed, "vocab_size": self.vocab_size,
                "n_words": self.n_words, "n_classes": self.n_classes, "zipf": self.zipf,
                "class_spread": self.class_spread}

    def data_hash(self) -> str:
        """Short hash of the generator's configuration (what the results depend on)."""
        text = json.dumps(self.config(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class TokenStream:
    """``n_streams`` parallel, endless, stationary token streams from a language.

    ``take(L)`` returns the next ``L`` tokens of every stream, shape (n_streams, L);
    successive calls continue the streams, so a training loop reads fresh text forever.
    """

    def __init__(self, language: SyntheticLanguage, n_streams: int, seed: int, burn_in: int = 256,
                 purpose: int = 0):
        self.language = language
        self.n_streams = n_streams
        # purpose 0: sample(), 1: training, 2: validation; separate seed sequences
        self.rng = np.random.default_rng([seed, purpose, 0x5EED])
        t = language._tables
        spell = np.zeros((language.n_words, t["lengths"].max() + 1), dtype=np.int64)
        for w, word in enumerate(t["spellings"]):
            spell[w, : len(word)] = word  # the space (0) follows every spelling
        self._spell, self._len = spell, t["lengths"] + 1
        cdf = t["cdf"] / t["cdf"][:, -1:]
        self._cdf_flat = (cdf + np.arange(language.n_classes)[:, None]).ravel()
        rho = language.stationary()[:, 0]
        self._cls = self.rng.choice(language.n_classes, size=n_streams, p=rho / rho.sum())
        self._buffers = [np.zeros(0, dtype=np.int64) for _ in range(n_streams)]
        if burn_in:
            self.take(burn_in)

    def _fill(self, need: int) -> None:
        t = self.language._tables
        W = self.language.n_words
        steps = int(max(need, 4096) / self.language.mean_word_tokens() * 1.2) + 8
        words = np.empty((steps, self.n_streams), dtype=np.int64)
        cls = self._cls
        u = self.rng.random((steps, self.n_streams))
        for k in range(steps):
            # inverse-CDF draw from row `cls` of the stacked, offset CDFs (one sorted array)
            w = np.searchsorted(self._cdf_flat, cls + u[k], side="right") - cls * W
            w = np.minimum(w, W - 1)
            words[k] = w
            cls = t["word_class"][w]
        self._cls = cls
        tokens = self._spell[words.T]  # streams × steps × letters
        mask = np.arange(self._spell.shape[1]) < self._len[words.T][..., None]
        for s in range(self.n_streams):
            self._buffers[s] = np.concatenate([self._buffers[s], tokens[s][mask[s]]])

    def take(self, length: int) -> np.ndarray:
        while min(len(b) for b in self._buffers) < length:
            self._fill(length - min(len(b) for b in self._buffers))
        out = np.stack([b[:length] for b in self._buffers])
        self._buffers = [b[length:] for b in self._buffers]
        return out
