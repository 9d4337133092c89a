"""Shipped data, loaders, synthetic generators and framework adapters."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse import datasets as ds
from dlcourse.datasets import _base


def test_shipped_files_match_their_checksums_and_licences_are_shipped():
    for name, digest in _base.PACKAGE_FILES.items():
        assert ds.sha256_of(_base.DATA_DIR / name) == digest
    licences = (_base.DATA_DIR / "DATA_LICENSES.md").read_text()
    for name in _base.PACKAGE_FILES:
        assert name in licences
    assert "CC BY-SA 3.0" in licences and "CC BY-SA 4.0" in licences


def test_damaged_package_file_is_named_with_both_hashes(tmp_path, monkeypatch):
    bad = tmp_path / "mnist10k.npz"
    bad.write_bytes(b"not the data")
    monkeypatch.setattr(_base, "DATA_DIR", tmp_path)
    _base.package_data_path.cache_clear()
    try:
        with pytest.raises(ds.ChecksumError) as err:
            _base.package_data_path("mnist10k.npz")
        assert _base.PACKAGE_FILES["mnist10k.npz"] in str(err.value)
        assert ds.sha256_of(bad) in str(err.value) and "Reinstall" in str(err.value)
    finally:
        _base.package_data_path.cache_clear()


def test_mnist_sample_split_is_fixed_disjoint_stratified_and_shuffled():
    train, test = ds.load_mnist_sample("train"), ds.load_mnist_sample("test")
    assert train.images.shape == (8000, 28, 28) and test.images.shape == (2000, 28, 28)
    assert train.data.dtype == np.float32 and 0 <= train.data.min() and train.data.max() <= 1
    per_class = np.bincount(ds.load_mnist_sample().target)
    assert np.abs(np.bincount(test.target) - per_class * 0.2).max() <= 1, "stratified: 20% of every class"
    # disjoint: no test image appears in the training set
    train_keys = {img.tobytes() for img in train.images}
    assert sum(img.tobytes() in train_keys for img in test.images) <= 5  # MNIST has a few exact duplicates
    assert (np.diff(train.target) != 0).mean() > 0.5, "the stored file is sorted by class; loaders shuffle"
    X, y = ds.load_mnist_sample("test", return_X_y=True)
    np.testing.assert_array_equal(y, test.target)
    np.testing.assert_array_equal(ds.load_mnist_sample("test").target, test.target)  # repeatable
    with pytest.raises(ValueError, match="subset"):
        ds.load_mnist_sample("validation")


def test_mnist_images_are_white_digits_on_black():
    imgs = ds.load_mnist_sample("test").images
    assert imgs[:, 0, :].mean() < 5 and imgs[:, 10:18, 10:18].mean() > 60


def test_spoken_digits():
    allc = ds.load_spoken_digits()
    assert len(allc.audio) == 600 and allc.sample_rate == 8000
    assert sorted(np.bincount(allc.target).tolist()) == [60] * 10
    lengths = [len(a) for a in allc.audio]
    assert min(lengths) >= 1000 and max(lengths) <= 20000
    train, test = ds.load_spoken_digits("train"), ds.load_spoken_digits("test")
    assert len(train.audio) == 480 and len(test.audio) == 120 and set(test.takes.tolist()) == {0, 1}
    assert max(np.abs(x).max() for x in test.data) <= 1.0


def test_shakespeare():
    sh = ds.load_shakespeare()
    assert len(sh.text) == 1_115_394 and sh.text.startswith("First Citizen:")
    assert ds.load_shakespeare(50).vocab == sh.vocab and len(sh.vocab) == 65
    with pytest.raises(ValueError):
        ds.load_shakespeare(0)


def test_sklearn_sets():
    assert ds.load_digits().data.shape == (1797, 64)
    bc = ds.load_breast_cancer()
    assert bc.target.sum() == 212 and bc.target_names == ["benign", "malignant"]
    X, y = ds.load_breast_cancer(return_X_y=True)
    assert X.shape == (569, 30)


def test_bunch_attribute_errors_list_fields():
    b = ds.Bunch(data=1)
    with pytest.raises(AttributeError, match="its fields are: data"):
        _ = b.target


@pytest.mark.parametrize(
    "make, kwargs",
    [
        (ds.make_spirals, {"n_samples": 90, "n_classes": 3}),
        (ds.make_moons, {"n_samples": 50}),
        (ds.make_xor, {"n_samples": 50}),
        (ds.make_noisy_sine, {"n_steps": 100}),
        (ds.make_moving_shapes, {"n_videos": 6, "n_frames": 4, "size": 32}),
        (ds.make_transactions, {"n_samples": 500}),
    ],
)
def test_generators_are_seeded(make, kwargs):
    a, b = make(**kwargs, random_state=3), make(**kwargs, random_state=3)
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(a.data, make(**kwargs, random_state=4).data)


def test_moving_shapes_labels_are_the_direction_of_motion():
    v = ds.make_moving_shapes(40, n_frames=6, size=48, noise=0.0, random_state=1)
    assert v.data.shape == (40, 6, 48, 48, 1) and 0 <= v.data.min() and v.data.max() <= 1
    yy, xx = np.mgrid[:48, :48]
    for video, label in zip(v.data[..., 0], v.target):
        mass = video.sum(axis=(1, 2))
        cy = (video * yy).sum(axis=(1, 2)) / mass
        cx = (video * xx).sum(axis=(1, 2)) / mass
        dy, dx = cy[-1] - cy[0], cx[-1] - cx[0]
        expected = {"left": dx < -3, "right": dx > 3, "up": dy < -3, "down": dy > 3}[v.target_names[label]]
        assert expected, (v.target_names[label], dy, dx)
        assert video[0].sum() > 5, "the shape is visible in the first frame"


def test_transactions_are_imbalanced():
    t = ds.make_transactions(20000, fraud_rate=0.01)
    assert 0.007 < t.target.mean() < 0.013 and t.data.shape == (20000, 6)
    with pytest.raises(ValueError):
        ds.make_transactions(fraud_rate=0.9)


def test_windows():
    X, y = ds.make_windows(np.arange(20.0), window=5, horizon=2)
    assert X.shape == (14, 5, 1) and y[0] == 6.0 and X[-1, -1, 0] == 17.0 and y[-1] == 19.0
    with pytest.raises(ValueError, match="too short"):
        ds.make_windows(np.arange(3.0), window=5)


def test_torch_loader():
    torch = pytest.importorskip("torch")
    loader = ds.to_torch_loader(np.zeros((10, 3), np.float64), np.arange(10), batch_size=4, seed=1)
    xb, yb = next(iter(loader))
    assert xb.dtype == torch.float32 and yb.dtype == torch.int64 and xb.shape == (4, 3)
    order1 = torch.cat([y for _, y in ds.to_torch_loader(np.zeros((10, 1)), np.arange(10), seed=1)])
    order2 = torch.cat([y for _, y in ds.to_torch_loader(np.zeros((10, 1)), np.arange(10), seed=1)])
    assert order1.tolist() == order2.tolist()
    with pytest.raises(ValueError, match="different lengths"):
        ds.to_torch_loader(np.zeros((3, 1)), np.zeros(4))


def test_tf_dataset():
    pytest.importorskip("tensorflow")
    batches = list(ds.to_tf_dataset(np.zeros((10, 3)), np.arange(10), batch_size=4, shuffle=False))
    assert [tuple(x.shape) for x, _ in batches] == [(4, 3), (4, 3), (2, 3)]
    assert batches[0][0].dtype.name == "float32" and batches[0][1].dtype.name == "int64"
