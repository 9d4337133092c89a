"""Sequences of real spoken digits, joined with pauses, for training speech-to-text (CTC)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, cast

import numpy as np

from ._base import Bunch
from ._loaders import load_spoken_digits

__all__ = ["make_spoken_digit_sequences"]


def make_spoken_digit_sequences(
    n_sequences: int = 200,
    *,
    subset: Literal["all", "train", "test"] = "train",
    min_digits: int = 1,
    max_digits: int = 4,
    pause: tuple[float, float] = (0.1, 0.4),
    speakers: Sequence[str] | None = None,
    random_state: int | np.random.Generator | None = 0,
    return_X_y: bool = False,
) -> Bunch | tuple[list[np.ndarray], list[np.ndarray]]:
    """Join real spoken-digit clips into utterances such as "3 1 4", with their transcripts.

    Each sequence is spoken by one speaker: the digits are drawn uniformly, each digit is a
    randomly chosen recording of that speaker saying it (from the shipped Free Spoken Digit
    Dataset sample, :func:`load_spoken_digits`), and the clips are joined with pauses of
    silence (also before the first digit and after the last). The recordings are real; the
    joining is synthetic, so the pauses are cleaner than in natural speech.

    ``subset`` picks the takes the clips come from, with the split of
    :func:`load_spoken_digits`: ``"train"`` uses takes 2-9, ``"test"`` the held-out takes
    0 and 1. Sequences built from the two subsets never share a recording.

    Parameters
    ----------
    n_sequences : int, default 200
    subset : {"train", "test", "all"}, default "train"
    min_digits, max_digits : int, default 1 and 4
        Every sequence has between ``min_digits`` and ``max_digits`` digits (inclusive,
        uniformly).
    pause : (float, float), default (0.1, 0.4)
        Each pause lasts between these many seconds (uniformly).
    speakers : sequence of str, optional
        Use only these speakers (names as in ``load_spoken_digits().speaker_names``), for
        example to hold a speaker out. Default: all six.
    random_state : int or numpy.random.Generator, optional, default 0
    return_X_y : bool, default False
        Return ``(audio, labels)`` instead of a :class:`Bunch`.

    Returns
    -------
    Bunch
        ``audio``: list of float32 arrays in [-1, 1] (8 kHz), one per sequence; ``data``: the
        same list; ``target``: list of int64 arrays, the digits spoken; ``text``: the
        transcripts as strings (``"3 1 4"``); ``speakers``: int64 index into
        ``speaker_names``; ``boundaries``: list of ``(n_digits, 2)`` int64 arrays, the first
        and one-past-last sample of every digit; ``sample_rate`` (8000); ``DESCR``.

    Examples
    --------
    >>> from dlcourse.datasets import make_spoken_digit_sequences
    >>> seqs = make_spoken_digit_sequences(3, subset="test", max_digits=3, random_state=1)
    >>> len(seqs.audio), seqs.sample_rate
    (3, 8000)
    >>> all(len(t) == len(s.split()) for t, s in zip(seqs.target, seqs.text))
    True
    >>> b = seqs.boundaries[0]
    >>> bool((b[:, 1] > b[:, 0]).all() and b[-1, 1] < len(seqs.audio[0]))
    True
    """
    if int(n_sequences) < 1:
        raise ValueError(f"n_sequences must be at least 1, got {n_sequences}")
    if not 1 <= int(min_digits) <= int(max_digits):
        raise ValueError(f"need 1 <= min_digits <= max_digits, got min_digits={min_digits}, max_digits={max_digits}")
    lo, hi = (float(p) for p in pause)
    if not 0 <= lo <= hi:
        raise ValueError(f"pause must be (shortest, longest) seconds with 0 <= shortest <= longest, got {pause}")
    clips = cast(Bunch, load_spoken_digits(cast(Any, subset)))  # validates subset
    names = clips.speaker_names
    if speakers is None:
        chosen = np.arange(len(names))
    else:
        if isinstance(speakers, str):
            speakers = [speakers]
        unknown = sorted(set(speakers) - set(names))
        if unknown or not speakers:
            raise ValueError(f"unknown speakers {unknown}; choose among {names}")
        chosen = np.array([names.index(s) for s in speakers])
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    rate = clips.sample_rate
    # Which clips say digit d in the voice of speaker s: one lookup table, built once.
    table = {(int(s), d): np.flatnonzero((clips.speakers == s) & (clips.target == d)) for s in chosen for d in range(10)}

    audio, target, boundaries, who = [], [], [], []
    for _ in range(int(n_sequences)):
        s = int(rng.choice(chosen))
        digits = rng.integers(0, 10, size=int(rng.integers(min_digits, max_digits + 1)))
        gaps = (rng.uniform(lo, hi, size=len(digits) + 1) * rate).astype(int)
        pieces, bounds, pos = [np.zeros(gaps[0], np.float32)], [], gaps[0]
        for d, gap in zip(digits, gaps[1:]):
            clip = clips.data[int(rng.choice(table[s, int(d)]))]
            pieces += [clip, np.zeros(gap, np.float32)]
            bounds.append((pos, pos + len(clip)))
            pos += len(clip) + gap
        audio.append(np.concatenate(pieces))
        target.append(digits.astype(np.int64))
        boundaries.append(np.array(bounds, dtype=np.int64))
        who.append(s)
    if return_X_y:
        return audio, target
    return Bunch(
        audio=audio,
        data=audio,
        target=target,
        text=[" ".join(str(d) for d in t) for t in target],
        speakers=np.array(who, dtype=np.int64),
        speaker_names=names,
        boundaries=boundaries,
        sample_rate=rate,
        target_names=[str(i) for i in range(10)],
        DESCR=(
            f"{n_sequences} sequences of {min_digits}-{max_digits} real spoken digits from the Free Spoken "
            f"Digit Dataset ({subset} takes), joined with {lo:g}-{hi:g} s of silence. "
            "Recordings by Z. Jackson et al., CC BY-SA 4.0."
        ),
    )
