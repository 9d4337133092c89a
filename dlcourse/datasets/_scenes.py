"""Scenes of real MNIST digits on a canvas, with exact boxes and masks (detection, segmentation)."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from ._base import Bunch
from ._loaders import load_mnist_sample

__all__ = ["make_digit_scenes"]

#: Class names of the segmentation masks: 0 is the background, ``d + 1`` is digit ``d``.
SCENE_CLASS_NAMES = ("background",) + tuple(str(d) for d in range(10))


def _resized_digits(images: np.ndarray, size: int) -> np.ndarray:
    """MNIST images (n, 28, 28) uint8 -> (n, size, size) float32 in [0, 1], bilinear (Pillow)."""
    if size == images.shape[1]:
        return images.astype(np.float32) / 255.0
    from PIL import Image  # Pillow comes with matplotlib

    out = [np.asarray(Image.fromarray(im).resize((size, size), Image.Resampling.BILINEAR)) for im in images]
    return np.stack(out).astype(np.float32) / 255.0


def _ink_box(patch: np.ndarray) -> tuple[int, int, int, int]:
    """Tight box (x0, y0, x1, y1), ends exclusive, around the non-zero pixels of a patch."""
    rows, cols = np.flatnonzero(patch.any(axis=1)), np.flatnonzero(patch.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def make_digit_scenes(
    n_scenes: int = 500,
    *,
    canvas_size: int = 64,
    digit_size: int = 20,
    min_digits: int = 1,
    max_digits: int = 3,
    subset: str = "train",
    mask_threshold: float = 0.5,
    random_state: int | np.random.Generator | None = 0,
) -> Bunch:
    """Scenes of real hand-written MNIST digits on a black canvas, with exact boxes and masks.

    A small, honest stand-in for detection and segmentation data sets (COCO, Pascal VOC):
    the digits are real (from :func:`load_mnist_sample`), only their placement is synthetic,
    so every box and every mask is exact. Each scene holds ``min_digits`` to ``max_digits``
    digits, resized to ``digit_size`` pixels and placed at random so that no two digits
    touch (their boxes keep at least one pixel apart). Digits for ``subset="train"`` scenes
    come from the training split and for ``"test"`` from the held-out split, so a detector
    tested on test scenes has never seen those hand-written digits.

    Parameters
    ----------
    n_scenes : int, default 500
        Number of scenes.
    canvas_size : int, default 64
        Height and width of each (square) scene in pixels.
    digit_size : int, default 20
        Each 28x28 MNIST image is resized (bilinear) to ``digit_size`` x ``digit_size``.
    min_digits, max_digits : int, default 1 and 3
        Number of digits per scene, drawn uniformly. When a digit finds no free place after
        100 tries the scene keeps fewer; ``n_placed`` tells how many it holds.
    subset : {"train", "test", "all"}, default "train"
        Which split of the MNIST sample the digits come from.
    mask_threshold : float, default 0.5
        A pixel belongs to a digit's mask when its intensity is at least this.
    random_state : int, numpy Generator or None, default 0

    Returns
    -------
    Bunch
        ``images`` float32 ``(n, canvas_size, canvas_size)`` in [0, 1] (``data`` is the
        same array); ``boxes``, a list of n float32 arrays ``(k, 4)`` of
        ``(x_min, y_min, x_max, y_max)`` in pixel-edge coordinates (the ends are
        exclusive, so a box's width is ``x_max - x_min``), each the tight box around every
        pixel its digit lights; ``labels``, a list of n int64 arrays ``(k,)`` of digits;
        ``masks`` uint8 ``(n, H, W)``, the semantic segmentation (0 = background,
        ``d + 1`` = digit ``d``; ``target`` is the same array); ``instances`` uint8
        ``(n, H, W)``, 0 = background, ``i + 1`` = the digit of ``boxes[j][i]``;
        ``n_placed`` int64 ``(n,)``; ``target_names`` (11 mask classes); ``DESCR``.

    Examples
    --------
    >>> from dlcourse.datasets import make_digit_scenes
    >>> scenes = make_digit_scenes(4, canvas_size=64, max_digits=3, random_state=0)
    >>> scenes.images.shape, scenes.masks.shape, len(scenes.boxes)
    ((4, 64, 64), (4, 64, 64), 4)
    >>> boxes, labels = scenes.boxes[0], scenes.labels[0]
    >>> boxes.shape == (len(labels), 4) and bool((boxes[:, 2:] > boxes[:, :2]).all())
    True
    >>> scenes.target_names[0], scenes.target_names[1 + int(labels[0])] == str(labels[0])
    ('background', True)
    """
    for name, value in (("n_scenes", n_scenes), ("canvas_size", canvas_size), ("digit_size", digit_size),
                        ("min_digits", min_digits), ("max_digits", max_digits)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if min_digits > max_digits:
        raise ValueError(f"min_digits ({min_digits}) must not exceed max_digits ({max_digits})")
    if digit_size > canvas_size:
        raise ValueError(f"digit_size ({digit_size}) must fit on the canvas (canvas_size={canvas_size})")
    if canvas_size > 255 or max_digits > 254:
        raise ValueError("canvas_size is limited to 255 and max_digits to 254 (masks are uint8)")
    if not 0.0 < mask_threshold <= 1.0:
        raise ValueError(f"mask_threshold must be in (0, 1], got {mask_threshold!r}")
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)

    source = cast(Bunch, load_mnist_sample(cast(Any, subset)))  # validates subset
    images = np.zeros((n_scenes, canvas_size, canvas_size), np.float32)
    masks = np.zeros((n_scenes, canvas_size, canvas_size), np.uint8)
    instances = np.zeros_like(masks)
    all_boxes, all_labels = [], []
    counts = rng.integers(min_digits, max_digits + 1, size=n_scenes)
    picks = rng.integers(0, len(source.target), size=int(counts.sum()))
    digits = _resized_digits(source.images[picks], digit_size)
    inks = [_ink_box(d) for d in digits]
    span = canvas_size - digit_size + 1
    used = 0
    for j, k in enumerate(counts):
        boxes: list[tuple[int, int, int, int]] = []
        labels: list[int] = []
        for _ in range(k):
            patch, (x0, y0, x1, y1), label = digits[used], inks[used], int(source.target[picks[used]])
            used += 1
            for _try in range(100):
                ox, oy = (int(v) for v in rng.integers(0, span, size=2))
                box = (ox + x0, oy + y0, ox + x1, oy + y1)
                # one free pixel between any two boxes: no digit touches another
                if all(box[0] > b[2] or b[0] > box[2] or box[1] > b[3] or b[1] > box[3] for b in boxes):
                    break
            else:
                continue
            window = (slice(oy, oy + digit_size), slice(ox, ox + digit_size))
            # boxes are disjoint, so every lit pixel of the patch lands on black canvas
            images[j][window] = np.maximum(images[j][window], patch)
            ink = patch >= mask_threshold
            masks[j][window][ink] = label + 1
            instances[j][window][ink] = len(boxes) + 1
            boxes.append(box)
            labels.append(label)
        all_boxes.append(np.asarray(boxes, np.float32).reshape(-1, 4))
        all_labels.append(np.asarray(labels, np.int64))
    return Bunch(
        images=images,
        data=images,
        boxes=all_boxes,
        labels=all_labels,
        masks=masks,
        target=masks,
        instances=instances,
        n_placed=np.array([len(b) for b in all_labels], np.int64),
        target_names=list(SCENE_CLASS_NAMES),
        DESCR=(f"{n_scenes} synthetic scenes of {canvas_size}x{canvas_size} pixels, each with {min_digits}-"
               f"{max_digits} real MNIST digits ({subset} split) resized to {digit_size}x{digit_size}; "
               "exact boxes (x_min, y_min, x_max, y_max) and masks (0 = background, d + 1 = digit d)"),
    )
