"""make_digit_scenes: exact boxes and masks, seeded, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse.datasets import make_digit_scenes


@pytest.fixture(scope="module")
def scenes():
    return make_digit_scenes(60, canvas_size=48, digit_size=16, max_digits=3, random_state=0)


def test_shapes_and_types(scenes):
    n = 60
    assert scenes.images.shape == scenes.masks.shape == scenes.instances.shape == (n, 48, 48)
    assert scenes.images.dtype == np.float32 and scenes.masks.dtype == np.uint8
    assert scenes.data is scenes.images and scenes.target is scenes.masks
    assert 0.0 <= scenes.images.min() and scenes.images.max() <= 1.0
    assert len(scenes.boxes) == len(scenes.labels) == n
    assert scenes.target_names == ["background"] + [str(d) for d in range(10)]
    for boxes, labels, k in zip(scenes.boxes, scenes.labels, scenes.n_placed):
        assert boxes.shape == (k, 4) and boxes.dtype == np.float32 and labels.shape == (k,)
        assert 1 <= k <= 3
    assert set(np.concatenate(scenes.labels).tolist()) == set(range(10))


def test_boxes_are_tight_and_disjoint(scenes):
    for j in range(len(scenes.images)):
        image, boxes = scenes.images[j], scenes.boxes[j].astype(int)
        covered = np.zeros(image.shape, bool)
        for x0, y0, x1, y1 in boxes:
            assert 0 <= x0 < x1 <= 48 and 0 <= y0 < y1 <= 48
            region = image[y0:y1, x0:x1]
            # tight: every edge row and column of the box holds a lit pixel
            assert region[0].any() and region[-1].any() and region[:, 0].any() and region[:, -1].any()
            covered[y0:y1, x0:x1] = True
        assert not image[~covered].any(), "a lit pixel lies outside every box"
        for a in range(len(boxes)):
            for b in range(a + 1, len(boxes)):
                p, q = boxes[a], boxes[b]
                assert p[0] > q[2] or q[0] > p[2] or p[1] > q[3] or q[1] > p[3], "two digits touch"


def test_masks_match_ink_boxes_and_labels(scenes):
    assert np.array_equal(scenes.masks > 0, scenes.images >= 0.5)
    assert np.array_equal(scenes.masks > 0, scenes.instances > 0)
    for j in range(len(scenes.images)):
        for i, ((x0, y0, x1, y1), label) in enumerate(zip(scenes.boxes[j].astype(int), scenes.labels[j])):
            inside = scenes.instances[j] == i + 1
            assert inside.any()
            ys, xs = np.nonzero(inside)
            assert x0 <= xs.min() and xs.max() < x1 and y0 <= ys.min() and ys.max() < y1
            assert (scenes.masks[j][inside] == label + 1).all()


def test_seeded_and_split_aware():
    a = make_digit_scenes(5, random_state=3)
    b = make_digit_scenes(5, random_state=3)
    c = make_digit_scenes(5, random_state=4)
    assert np.array_equal(a.images, b.images) and all(np.array_equal(x, y) for x, y in zip(a.boxes, b.boxes))
    assert not np.array_equal(a.images, c.images)
    test = make_digit_scenes(5, subset="test", random_state=3)
    assert not np.array_equal(a.images, test.images)
    assert "test split" in test.DESCR


def test_full_size_digits_and_fixed_count():
    s = make_digit_scenes(3, canvas_size=96, digit_size=28, min_digits=2, max_digits=2, random_state=1)
    assert s.images.shape == (3, 96, 96) and s.n_placed.tolist() == [2, 2, 2]
    assert s.images.max() == 1.0  # MNIST's brightest ink, not resampled


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_scenes": 0}, "n_scenes must be a positive integer"),
        ({"min_digits": 3, "max_digits": 2}, "must not exceed max_digits"),
        ({"digit_size": 40, "canvas_size": 32}, "must fit on the canvas"),
        ({"mask_threshold": 0.0}, "mask_threshold"),
        ({"subset": "validation"}, "subset"),
    ],
)
def test_bad_input_says_what_to_do(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_digit_scenes(**kwargs)


def test_flags_are_keyword_only():
    with pytest.raises(TypeError):
        make_digit_scenes(5, 48)  # canvas_size must be named
