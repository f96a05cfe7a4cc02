"""engine.equation: a linear model's equation in original units, as text and LaTeX; engine.load_model."""

import numpy as np
import pytest

import engine
from engine import generators
from engine.equation import equation_latex, equation_text
from engine.features import FeatureMap, Standardizer
from engine.model import Model
from engine.network import Network


def _glm_model(w=0.551775920706039, b=-3.54907067213626):
    net = Network(1, 2, dtype="float64")
    net.set_params(np.array([w, b]))
    return Model((0, 1), FeatureMap.from_spec("linear", 1), Standardizer.identity(1), net, ("x",))


def test_glm6_equation_as_text_and_latex():
    model = _glm_model()
    assert equation_text(model) == "logit P(1) = -3.54907 + 0.551776·x"
    assert equation_latex(model) == r"\operatorname{logit} P(\text{1}) = -3.54907 + 0.551776\,x"


def test_equation_is_in_original_units_of_standardized_features():
    data = generators.glm6()
    trainer = engine.Trainer(data, engine.TrainConfig(lr=0.1, batch_size=0, epochs=200, dtype="float64"))
    trainer.fit()
    (w,), (b,) = (c.ravel() for c in trainer.model.coef_intercept())
    assert equation_text(trainer.model, digits=4) == f"logit P(1) = {b:.4g} + {w:.4g}·x"


def test_softmax_equations_are_aligned_rows_with_escaped_names():
    net = Network(3, 3, dtype="float64")
    net.set_params(np.arange(net.size, dtype=np.float64) - 5.0)
    fmap = FeatureMap.from_spec(("x1", "x1^2", "sin x2"), 2)
    model = Model(("a_b", "c", "d%"), fmap, Standardizer.identity(3), net, ("x1", "width"))
    latex = equation_latex(model)
    assert latex.startswith("\\begin{aligned}\n") and latex.endswith("\n\\end{aligned}")
    assert latex.count("&=") == 3
    assert r"z_{\text{a\_b}}" in latex and r"z_{\text{d\%}}" in latex
    assert r"x_{1}^{2}" in latex and r"\sin(\mathrm{width})" in latex
    assert len(equation_text(model).splitlines()) == 3


def test_models_with_hidden_layers_have_no_equation():
    net = Network(2, 2, hidden=(3,), dtype="float64")
    model = Model((0, 1), FeatureMap.from_spec("linear", 2), Standardizer.identity(2), net)
    with pytest.raises(ValueError):
        equation_text(model)
    with pytest.raises(ValueError):
        equation_latex(model)


def test_load_model_is_in_the_notebook_api(tmp_path):
    model = _glm_model()
    engine.save_model(tmp_path / "m.json", model)
    loaded = engine.load_model(tmp_path / "m.json")
    assert np.array_equal(loaded.network.params, model.network.params)
    assert equation_latex(loaded) == equation_latex(model)
