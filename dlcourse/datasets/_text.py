"""Real labelled text that ships with dlcourse: review sentences for sentiment analysis."""

from __future__ import annotations

import tarfile
from functools import lru_cache
from typing import Literal

import numpy as np

from ._base import Bunch, package_data_path

__all__ = ["load_sentiment_sentences"]

SENTIMENT_FILE = "sentiment_labelled_sentences.tar.gz"
#: The three files of the archive, in the order the rows are returned, and their site.
_SITE_FILES = {
    "amazon": "sentiment_labelled_sentences/amazon_cells_labelled.txt",
    "imdb": "sentiment_labelled_sentences/imdb_labelled.txt",
    "yelp": "sentiment_labelled_sentences/yelp_labelled.txt",
}
SENTIMENT_TEST_SIZE = 600  # 100 sentences per (site, label) pair
_SPLIT_SEED = 20241202  # fixed: every lesson and both frameworks see the same split

# Three IMDb sentences carry Windows-1252 punctuation that was decoded as Latin-1 and so
# became C1 control characters; they are mapped back to what the writer typed.
_CP1252_FIXES = str.maketrans({"\x85": "\u2026", "\x96": "\u2013", "\x97": "\u2014"})


@lru_cache(maxsize=1)
def _sentiment_rows() -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """All 3,000 (sentence, label, site index) rows, in file order, read-only."""
    sentences: list[str] = []
    labels: list[int] = []
    sites: list[int] = []
    with tarfile.open(package_data_path(SENTIMENT_FILE), "r:gz") as archive:
        for site_index, member in enumerate(_SITE_FILES.values()):
            raw = archive.extractfile(member)
            if raw is None:  # pragma: no cover - the checksum guarantees the member exists
                raise FileNotFoundError(f"{member} is missing from {SENTIMENT_FILE}")
            # Split on "\n" only: str.splitlines would also split at U+0085 inside a sentence.
            for line in raw.read().decode("utf-8").split("\n"):
                if not line.strip():
                    continue
                sentence, label = line.rsplit("\t", 1)
                sentences.append(sentence.strip().translate(_CP1252_FIXES))
                labels.append(int(label))
                sites.append(site_index)
    label_arr, site_arr = np.array(labels, dtype=np.int64), np.array(sites, dtype=np.int64)
    label_arr.setflags(write=False)
    site_arr.setflags(write=False)
    return tuple(sentences), label_arr, site_arr


def _grouped_stratified_test_mask(
    sentences: tuple[str, ...], strata: np.ndarray, per_stratum: int, seed: int
) -> np.ndarray:
    """Choose about ``per_stratum`` test rows in every stratum, never splitting a repeated sentence.

    The data holds 19 sentences written twice ("Works great.", "I love this place."); a
    random split would put some copies in training and some in the test set. Here all
    copies of a sentence (compared in lower case) go to the same side. Hand-written
    because scikit-learn has no splitter that is grouped, stratified and sized per
    stratum at once (``StratifiedGroupKFold`` only gives folds).
    """
    keys = [s.lower() for s in sentences]
    members: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        members.setdefault(key, []).append(i)
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(sentences), dtype=bool)
    for stratum in np.unique(strata):
        taken = int(np.count_nonzero(mask & (strata == stratum)))  # copies already pulled in
        for i in rng.permutation(np.flatnonzero(strata == stratum)):
            if taken >= per_stratum:
                break
            if mask[i]:
                continue
            group = members[keys[i]]
            mask[group] = True
            taken += sum(1 for j in group if strata[j] == stratum)
    return mask


def load_sentiment_sentences(
    subset: Literal["all", "train", "test"] = "all", *, return_X_y: bool = False, shuffle: bool = True
) -> Bunch | tuple[list[str], np.ndarray]:
    """Load 3,000 real review sentences labelled positive or negative (Amazon, IMDb, Yelp).

    The "Sentiment Labelled Sentences" of Kotzias et al. (KDD 2015): 1,000 sentences from
    each of amazon.com (phones and accessories), imdb.com (films) and yelp.com
    (restaurants), 500 positive and 500 negative per site, chosen by the authors to be
    clearly positive or negative. The archive ships with the package, so this works
    offline. A fixed split holds out 100 sentences of every (site, label) pair
    as a test set (600 in all), and all copies of a repeated sentence land on the same
    side, so a test sentence is never also a training sentence.

    Parameters
    ----------
    subset : {"all", "train", "test"}, default "all"
        ``"train"`` gives 2,400 sentences, ``"test"`` the held-out 600.
    return_X_y : bool, default False
        Return ``(data, target)`` instead of a :class:`Bunch`.
    shuffle : bool, default True
        Return the sentences in a fixed shuffled order. The files are sorted by site,
        which is a trap for anyone who slices off the last 20% as a test set.

    Returns
    -------
    Bunch
        ``data``: list of str, the sentences (stripped; three IMDb sentences with broken
        Windows-1252 punctuation repaired); ``target``: int64 ``(n,)``, 1 = positive;
        ``site``: str ``(n,)``, one of ``site_names`` (``"amazon"``, ``"imdb"``,
        ``"yelp"``); ``target_names`` (``["negative", "positive"]``); ``DESCR``.

    Raises
    ------
    ValueError
        When ``subset`` is not one of the three names.

    Examples
    --------
    >>> from dlcourse.datasets import load_sentiment_sentences
    >>> test = load_sentiment_sentences("test")
    >>> len(test.data), float(test.target.mean()), sorted(set(test.site.tolist()))
    (600, 0.5, ['amazon', 'imdb', 'yelp'])
    >>> X, y = load_sentiment_sentences("train", return_X_y=True)
    >>> len(X) + len(test.data), type(X[0]).__name__
    (3000, 'str')
    """
    if subset not in ("all", "train", "test"):
        raise ValueError(f"subset must be 'all', 'train' or 'test', got {subset!r}")
    sentences, labels, sites = _sentiment_rows()
    index = np.arange(len(labels))
    if subset != "all":
        test = _grouped_stratified_test_mask(sentences, sites * 2 + labels, SENTIMENT_TEST_SIZE // 6, _SPLIT_SEED)
        index = index[test] if subset == "test" else index[~test]
    if shuffle:
        index = np.random.default_rng(_SPLIT_SEED + 1).permutation(index)
    data = [sentences[i] for i in index]
    target = labels[index]
    if return_X_y:
        return data, target
    site_names = list(_SITE_FILES)
    return Bunch(
        data=data,
        target=target,
        site=np.array(site_names)[sites[index]],
        site_names=site_names,
        target_names=["negative", "positive"],
        DESCR=(
            f"Sentiment Labelled Sentences ({subset}): {len(target)} review sentences from amazon.com, "
            "imdb.com and yelp.com, 1 = positive. Kotzias, Denil, de Freitas and Smyth, KDD 2015; "
            "UCI Machine Learning Repository, CC BY 4.0."
        ),
    )
