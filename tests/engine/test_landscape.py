"""Loss landscapes: the surface against the known optimum, paths against the trainer, PCA slices."""

from __future__ import annotations

import numpy as np
import pytest

from engine import generators as g
from engine.landscape import LandscapeGrid, LossLandscape, Objective, PCASlice, ranges_around
from engine.network import Network
from engine.reference import fit_reference
from engine.training import TrainConfig, Trainer

GLM_W, GLM_B = 0.551775920706039, -3.54907067213626


def test_glm6_surface_minimum_is_the_reference_optimum():
    data = g.glm6()
    land = LossLandscape(data.X, data.y)
    ref = fit_reference(data.X, data.y, 2)
    grid = land.grid(((0.3, 0.8), (-5.0, -2.0)), shape=(121, 201))
    assert grid.loss.shape == (121, 201) and grid.xs.shape == (201,) and grid.ys.shape == (121,)
    assert grid.names == ("w", "b")
    w, b = grid.argmin()
    assert abs(w - ref.coef[0, 0]) <= 0.5 / 200 and abs(b - ref.intercept[0]) <= 3.0 / 120
    assert ref.coef[0, 0] == pytest.approx(GLM_W, abs=1e-6)
    # The surface is the exact objective: at the optimum it is glm's log-likelihood / n.
    assert land.loss([[GLM_W, GLM_B]])[0] == pytest.approx(2.35340 / 6, abs=1e-6)
    assert grid.loss.min() >= land.loss([[GLM_W, GLM_B]])[0] - 1e-12


def test_grid_rows_are_the_second_coordinate():
    data = g.glm6()
    land = LossLandscape(data.X, data.y, l2=0.01)
    grid = land.grid(((0.0, 1.0), (-4.0, 0.0)), shape=(5, 3))
    for i, j in [(0, 0), (4, 2), (3, 1)]:
        assert grid.loss[i, j] == pytest.approx(land.loss([[grid.xs[j], grid.ys[i]]])[0], rel=1e-14)


@pytest.mark.parametrize(
    "hidden, n_classes, l1, l2",
    [((), 2, 0.0, 0.0), ((), 2, 0.01, 0.1), ((), 4, 0.0, 0.05), ((5,), 2, 0.0, 0.01), ((4, 3), 3, 0.02, 0.0)],
)
def test_objective_matches_the_networks_own_loss(hidden, n_classes, l1, l2):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 3)), np.arange(40) % n_classes
    net = Network(3, n_classes, hidden, "tanh", dtype="float64")
    objective = Objective(net, X, y, l1, l2)
    P = rng.normal(size=(7, net.size))
    expected = []
    for row in P:
        net.set_params(row)
        expected.append(net.loss_and_grad(X, y, l1, l2)[0])
    np.testing.assert_allclose(objective(P), expected, rtol=1e-12)
    assert objective(P[0]) == pytest.approx(expected[0], rel=1e-12)


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.02), ("momentum", 0.01), ("adam", 0.05)])
def test_path_ends_at_the_parameters_of_the_equivalent_trainer(optimizer, lr):
    """Full batch, no standardization, float64: the trainer's weights after N epochs are the
    path's last point (row order differs, so equal to rounding, not bit for bit)."""
    data = g.glm6()
    start = np.array([0.1, -0.2])
    config = TrainConfig(
        model="logistic", optimizer=optimizer, lr=lr, batch_size=0, epochs=300, standardize=False, dtype="float64"
    )
    trainer = Trainer(data, config)
    trainer.network.set_params(start)
    seen = [trainer.network.params.copy()]
    trainer.fit(on_epoch=lambda report: seen.append(trainer.network.params.copy()))
    land = LossLandscape(data.X, data.y)
    path = land.run_path(start, optimizer, lr, epochs=300)
    assert path.shape == (301, 2)
    np.testing.assert_array_equal(path[0], start)
    np.testing.assert_allclose(path, np.array(seen), rtol=1e-11, atol=1e-13)
    np.testing.assert_array_equal(path[-1], land.network.params)  # bit for bit


def test_path_from_a_standardizing_trainer_matches_its_run():
    """With standardization on, ``from_trainer`` works in the standardized space, as the trainer."""
    data = g.one_d_gaussians(60, 2.0, 3)
    config = TrainConfig(model="logistic", optimizer="adam", lr=0.05, batch_size=0, epochs=80, dtype="float64")
    trainer = Trainer(data, config)
    land = LossLandscape.from_trainer(trainer)
    start = land.point(trainer.network.params)
    trainer.fit()
    path = land.run_path(start, "adam", 0.05, epochs=80)
    np.testing.assert_allclose(path[-1], trainer.network.params, rtol=1e-11)
    # The trainer's reported objective is the surface's value at its weights.
    assert land.loss([path[-1]])[0] == pytest.approx(trainer.current_metrics()["objective"], rel=1e-12)


def test_compare_paths_start_together_and_differ():
    data = g.glm6()
    land = LossLandscape(data.X, data.y)
    paths = land.compare_paths([0.0, 0.0], [("sgd", 0.01), ("momentum", 0.01), ("adam", 0.05)], epochs=3000)
    assert [p.shape for p in paths] == [(3001, 2)] * 3
    assert all(np.array_equal(p[0], [0.0, 0.0]) for p in paths)
    assert not np.allclose(paths[0], paths[1]) and not np.allclose(paths[1], paths[2])
    # Adam lr 0.05 for 3000 full-batch epochs reaches glm's optimum (docs/design.md §2).
    np.testing.assert_allclose(paths[2][-1], [GLM_W, GLM_B], atol=1e-4)
    # Plain SGD at the same budget is still on its way: the ill-conditioned valley in action.
    assert np.linalg.norm(paths[0][-1] - [GLM_W, GLM_B]) > 0.5


def test_minibatch_paths_are_seeded():
    data = g.one_d_gaussians(50, 2.0, 0)
    land = LossLandscape(data.X / 4.0, data.y)
    a = land.run_path([1.0, 1.0], "momentum", 0.05, epochs=20, batch_size=8, seed=3, nesterov=True)
    b = land.run_path([1.0, 1.0], "momentum", 0.05, epochs=20, batch_size=8, seed=3, nesterov=True)
    c = land.run_path([1.0, 1.0], "momentum", 0.05, epochs=20, batch_size=8, seed=4, nesterov=True)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_two_weights_with_the_bias_held():
    data = g.two_gaussians(80, 1.0, 0)
    land = LossLandscape(data.X, data.y, bias=0.3, l2=0.01)
    assert land.names == ("w1", "w2")
    path = land.run_path([-1.0, 2.0], "adam", 0.1, epochs=50)
    assert land.network.params[2] == pytest.approx(0.3)  # never moved
    np.testing.assert_array_equal(path[-1], land.network.params[:2])
    net = Network(2, 2, dtype="float64")
    net.set_params([0.5, -0.25, 0.3])
    expected = net.loss_and_grad(data.X, data.y, 0, 0.01)[0]
    assert land.loss([[0.5, -0.25]])[0] == pytest.approx(expected)
    grid = land.grid(((-1, 3), (-1, 3)), shape=(60, 60))
    # On these clouds (centres ±(1, 1)) the best weights point along (1, 1).
    w1, w2 = grid.argmin()
    assert w1 > 0.5 and w2 > 0.5


def test_landscape_refuses_other_models():
    with pytest.raises(ValueError):
        LossLandscape(np.zeros((4, 3)), [0, 1, 0, 1])
    with pytest.raises(ValueError):
        LossLandscape(np.zeros((3, 1)), [0, 1, 2])
    trainer = Trainer(g.moons(40, 0.1, 0), TrainConfig(hidden=(4,), epochs=1))
    with pytest.raises(ValueError):
        LossLandscape.from_trainer(trainer)


# -- PCA slice ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mlp_run():
    trainer = Trainer(g.moons(100, 0.15, 0), TrainConfig(hidden=(6,), lr=0.02, epochs=40, dtype="float64"))
    history = [trainer.network.params.copy()]
    trainer.fit(on_epoch=lambda report: history.append(trainer.network.params.copy()))
    return trainer, np.array(history)


def test_pca_slice_coordinates_reconstruct_the_projection(mlp_run):
    trainer, history = mlp_run
    pca = PCASlice(history)
    k, p = history.shape
    assert pca.directions.shape == (2, p) and pca.coords.shape == (k, 2)
    np.testing.assert_allclose(pca.directions @ pca.directions.T, np.eye(2), atol=1e-12)
    np.testing.assert_array_equal(pca.center, history[-1])
    np.testing.assert_allclose(pca.coords[-1], [0.0, 0.0], atol=1e-12)
    assert (pca.coords[0] >= 0).all()
    # Independent projector onto the top-2 eigenvectors of DᵀD.
    D = history - history[-1]
    _, vectors = np.linalg.eigh(D.T @ D)
    top = vectors[:, -2:]
    projected = history[-1] + D @ top @ top.T
    np.testing.assert_allclose(pca.projection(), projected, atol=1e-10)
    assert 0.5 < pca.explained.sum() <= 1.0 + 1e-12
    assert pca.explained[0] >= pca.explained[1]


def test_pca_slice_of_a_planar_path_is_exact():
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(10, 2)))[0].T
    t = np.linspace(0, 1, 30)
    coords = np.column_stack([np.cos(3 * t) * (1 - t), np.sin(3 * t) * (1 - t)])
    end = rng.normal(size=10)
    history = end + coords @ basis
    pca = PCASlice(history)
    np.testing.assert_allclose(pca.projection(), history, atol=1e-12)
    np.testing.assert_allclose(pca.explained.sum(), 1.0)


def test_pca_slice_grid_is_the_objective_on_the_plane(mlp_run):
    trainer, history = mlp_run
    pca = PCASlice(history, Objective.from_trainer(trainer))
    grid = pca.grid(((-2.0, 2.0), (-1.0, 1.0)), shape=(21, 41))
    assert grid.loss.shape == (21, 41) and grid.names == ("PC1", "PC2")
    # (0, 0) is the final weights: the trainer's own objective there.
    assert grid.loss[10, 20] == pytest.approx(trainer.current_metrics()["objective"], rel=1e-12)
    assert grid.loss[3, 7] == pytest.approx(pca.objective(pca.params_at([grid.xs[7], grid.ys[3]])), rel=1e-12)
    sampled = Objective.from_trainer(trainer, max_rows=30)
    assert len(sampled.y) == 30 and np.array_equal(sampled.X, Objective.from_trainer(trainer, max_rows=30).X)
    default = pca.grid(shape=(9, 9))
    assert default.xs[0] < pca.coords[:, 0].min() and default.xs[-1] > pca.coords[:, 0].max()


def test_pca_slice_of_a_straight_path_completes_the_plane():
    history = np.outer(np.linspace(1, 0, 5), [1.0, 2.0, 0.0, 0.0])
    pca = PCASlice(history)
    np.testing.assert_allclose(pca.directions @ pca.directions.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(pca.projection(), history, atol=1e-12)
    with pytest.raises(ValueError):
        PCASlice(history[:1])


def test_ranges_around_covers_every_point_set():
    a = np.array([[0.0, 0.0], [1.0, 2.0]])
    b = np.array([[3.0, -1.0]])
    (x0, x1), (y0, y1) = ranges_around(a, b, margin=0.25)
    assert x0 < 0 and x1 > 3 and y0 < -1 and y1 > 2
    (x0, x1), _ = ranges_around(np.zeros((3, 2)), min_half_width=0.5)
    assert (x0, x1) == (-0.5, 0.5)
    grid = LandscapeGrid(np.arange(3.0), np.arange(2.0), np.array([[3.0, 2, 5], [4, 1, 6]]))
    np.testing.assert_array_equal(grid.argmin(), [1.0, 1.0])
