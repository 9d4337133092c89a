"""make_spoken_digit_sequences: real clips joined with silence, exact transcripts and boundaries."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse.datasets import load_spoken_digits, make_spoken_digit_sequences


def test_sequences_are_real_clips_joined_by_silence():
    clips = load_spoken_digits("test")
    seqs = make_spoken_digit_sequences(20, subset="test", min_digits=2, max_digits=3, pause=(0.1, 0.2), random_state=3)
    assert seqs.sample_rate == 8000 and len(seqs.audio) == len(seqs.target) == len(seqs.text) == 20
    known = {c.tobytes(): (int(d), int(s)) for c, d, s in zip(clips.data, clips.target, clips.speakers)}
    for audio, target, text, bounds, speaker in zip(seqs.audio, seqs.target, seqs.text, seqs.boundaries, seqs.speakers):
        assert audio.dtype == np.float32 and target.dtype == np.int64
        assert 2 <= len(target) <= 3 and text == " ".join(map(str, target)) and bounds.shape == (len(target), 2)
        # every digit is a test recording of the sequence's one speaker saying that digit
        for (start, stop), digit in zip(bounds, target):
            assert known[audio[start:stop].tobytes()] == (int(digit), int(speaker))
        # and everything between the clips is silence lasting 0.1-0.2 s
        edges = np.r_[0, bounds.ravel(), len(audio)]
        for start, stop in zip(edges[::2], edges[1::2]):
            assert 800 <= stop - start <= 1600 and not audio[start:stop].any()


def test_train_and_test_sequences_never_share_a_recording():
    train = load_spoken_digits("train")
    train_clips = {c.tobytes() for c in train.data}
    seqs = make_spoken_digit_sequences(30, subset="test", random_state=0)
    for audio, bounds in zip(seqs.audio, seqs.boundaries):
        assert not any(audio[a:b].tobytes() in train_clips for a, b in bounds)


def test_seeded_speaker_filter_and_return_X_y():
    a = make_spoken_digit_sequences(5, random_state=7)
    b = make_spoken_digit_sequences(5, random_state=7)
    assert all(np.array_equal(x, y) for x, y in zip(a.audio, b.audio)) and a.text == b.text
    only = make_spoken_digit_sequences(10, speakers=["theo"], random_state=1)
    assert set(only.speakers.tolist()) == {only.speaker_names.index("theo")}
    audio, labels = make_spoken_digit_sequences(4, min_digits=4, return_X_y=True)
    assert len(audio) == 4 and all(len(t) == 4 for t in labels)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_sequences": 0}, "n_sequences must be at least 1"),
        ({"min_digits": 3, "max_digits": 2}, "min_digits <= max_digits"),
        ({"min_digits": 0}, "min_digits <= max_digits"),
        ({"pause": (0.5, 0.1)}, "pause must be"),
        ({"speakers": ["nobody"]}, "unknown speakers"),
        ({"subset": "validation"}, "subset must be"),
    ],
)
def test_bad_input_says_what_to_do(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_spoken_digit_sequences(**kwargs)


def test_flags_are_keyword_only():
    with pytest.raises(TypeError):
        make_spoken_digit_sequences(5, "test")  # type: ignore[misc]
