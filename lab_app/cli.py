"""The ``logit-lab`` command: open the window, or work without one (``fit``, ``sweep``, ``animate``).

``fit`` never imports Qt unless a PNG is asked for, and ``sweep`` never, so they run on servers
and in CI. Exit status: 0 success, 2 bad input or usage (one ``error:`` line), 3 training diverged
(for ``sweep``: some run diverged).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

EXIT_OK, EXIT_USAGE, EXIT_DIVERGED = 0, 2, 3
DEFAULT_EPOCHS = 200
#: ``--until-converged`` without a number: the relative tolerance and its patience.
DEFAULT_TOL, DEFAULT_N_ITER_NO_CHANGE = 1e-4, 10


class UsageError(Exception):
    """Bad command-line input; printed as one ``error:`` line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump (docs/design.md §4)
        raise UsageError(message)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "fit":
            return run_fit(parse_fit_args(argv[1:]))
        if argv and argv[0] == "sweep":
            return run_sweep(parse_sweep_args(argv[1:]))
        if argv and argv[0] == "lesson":
            return run_lesson(argv[1:])
        if argv and argv[0] == "animate":
            return run_animate(parse_animate_args(argv[1:]))
        if argv and argv[0] == "open":
            if len(argv) != 2:
                raise UsageError("usage: logit-lab open FILE")
            return _run_gui(argv[1])
        if argv and argv[0] in ("-h", "--help"):
            print(
                __doc__.strip() + "\n\n  logit-lab                 open the lab window\n"
                "  logit-lab open FILE       open a session (.json) or a CSV\n"
                "  logit-lab lesson NAME     open the window with a lesson (logit-lab lesson --list)\n"
                "  logit-lab fit DATA.csv    train without a window (logit-lab fit --help)\n"
                "  logit-lab sweep DATA.csv  train a grid of one or two settings (logit-lab sweep --help)\n"
                "  logit-lab animate SESSION.json OUT.gif   the run's recorded epochs as a GIF or PNG sequence"
            )
            return EXIT_OK
        if argv:
            raise UsageError(f"unknown command {argv[0]!r}; use fit, sweep, lesson, animate, open, or no command")
        return _run_gui(None)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        # A file or a model too big for this machine: one line, as for any bad input, not a traceback.
        print(
            "error: not enough memory for this data and model; use fewer rows or columns, "
            "a smaller network, or --dtype float32",
            file=sys.stderr,
        )
        return EXIT_USAGE


def parse_animate_args(argv) -> argparse.Namespace:
    p = _Parser(prog="logit-lab animate", description="File ▸ Export animation… of a saved session, without a window.")
    p.add_argument("session", help="a session file (.logitlab.json) with recorded epochs")
    p.add_argument("out", help="OUT.gif, or OUT.png for a PNG sequence OUT-001.png, OUT-002.png, …")
    p.add_argument("--every", type=int, default=1, help="every k-th recorded epoch (default 1)")
    p.add_argument("--frames", type=int, default=100, help="at most this many frames, evenly thinned (default 100)")
    p.add_argument("--fps", type=float, default=10.0, help="frames per second of the GIF (default 10)")
    p.add_argument("--size", help="WIDTHxHEIGHT of each view's picture (default: the boundary view's)")
    p.add_argument("--loss", action="store_true", help="the loss curves beside the boundary")
    p.add_argument("--network", action="store_true", help="the Network view beside the boundary")
    p.add_argument("--no-caption", action="store_true", help="do not write the epoch on each frame")
    args = p.parse_args(argv)
    if args.size is not None:
        try:
            w, h = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            raise UsageError(f"--size must be WIDTHxHEIGHT, e.g. 640x480, not {args.size!r}") from None
        args.size = (w, h)
    if args.every < 1 or args.frames < 2 or not 0 < args.fps <= 100:
        raise UsageError("--every must be at least 1, --frames at least 2 and --fps in (0, 100]")
    return args


def run_animate(args) -> int:
    from lab_app.window.animate_command import AnimateError, animate_session

    try:
        written = animate_session(
            args.session,
            args.out,
            every=args.every,
            max_frames=args.frames,
            fps=args.fps,
            size=args.size,
            loss=args.loss,
            network=args.network,
            caption=not args.no_caption,
        )
    except (AnimateError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {written[0]}" if len(written) == 1 else f"wrote {len(written)} files: {written[0]} …")
    return EXIT_OK


def _run_gui(path, lesson=None):
    from lab_app.app import run

    return run(path, lesson=lesson)


def run_lesson(argv) -> int:
    """``logit-lab lesson NAME`` (a built-in lesson or a lesson file) or ``logit-lab lesson --list``."""
    import resources
    from engine.lessons import LessonError, find_lesson, lesson_catalog, load_lesson

    if argv == ["--list"]:
        for name, title, _path in lesson_catalog(resources.LESSONS):
            print(f"{name:24} {title}")
        return EXIT_OK
    if len(argv) != 1 or argv[0].startswith("-"):
        raise UsageError("usage: logit-lab lesson NAME | logit-lab lesson --list")
    try:
        path = find_lesson(resources.LESSONS, argv[0])
        load_lesson(path)  # a broken file is one error line here, not a window
    except LessonError as exc:
        raise UsageError(str(exc)) from None
    return _run_gui(None, lesson=str(path))


def parse_fit_args(argv) -> argparse.Namespace:
    p = _Parser(prog="logit-lab fit", description="Train a classifier on a CSV file without a window.")
    _add_fit_options(p, sweep=False)
    p.add_argument("--save-model", metavar="PATH")
    p.add_argument("--save-session", metavar="PATH")
    p.add_argument(
        "--save-script",
        metavar="PATH",
        help="write a standalone Python script that trains the same model and prints the same JSON keys",
    )
    p.add_argument(
        "--script-flavour",
        default="numpy",
        choices=["numpy", "sklearn", "pytorch", "keras"],
        help="the script's library (default numpy: reproduces these numbers)",
    )
    p.add_argument("--png", metavar="PATH", help="save the decision-boundary view as PNG")
    p.add_argument("--loss-png", metavar="PATH", help="save the loss curves as PNG")
    args = p.parse_args(argv)
    _convergence_args(args)
    if args.epochs is None:
        args.epochs = 0 if args.tol > 0 else DEFAULT_EPOCHS
    if args.epochs < 0 or (args.epochs == 0 and args.tol == 0):
        raise UsageError("--epochs must be a positive number (0, no cap, only with --until-converged or --tol)")
    args.hidden = _hidden_sizes(args.hidden)
    return args


def _convergence_args(args) -> None:
    """``--until-converged [TOL]`` is ``--tol TOL`` (default 1e-4); both check their numbers."""
    if args.until_converged is not None:
        if args.tol is not None and args.tol != args.until_converged:
            raise UsageError("give the tolerance once: --until-converged TOL or --tol TOL")
        args.tol = args.until_converged
    args.tol = 0.0 if args.tol is None else args.tol
    if not (args.tol >= 0 and args.tol < float("inf")):
        raise UsageError(f"the tolerance must be a number ≥ 0, not {args.tol}")
    if args.n_iter_no_change < 1:
        raise UsageError("--n-iter-no-change must be at least 1")


def _add_fit_options(p: argparse.ArgumentParser, sweep: bool) -> None:
    """The options ``fit`` and ``sweep`` share; a sweep takes lists of the swept settings."""
    p.add_argument("data", help="CSV file (header row; label column named label/class/target/y/species or last)")
    p.add_argument("--x", dest="x_columns", help="feature columns, comma-separated")
    p.add_argument("--label", dest="label_column", help="label column")
    p.add_argument("--model", choices=["logistic", "softmax", "mlp"])
    if sweep:
        p.add_argument(
            "--hidden",
            default="",
            help="hidden layers to try, separated by ';': e.g. 'none;8;16,16' (one value: the base)",
        )
        p.add_argument("--optimizer", default="adam", help="optimizers to try: adam,sgd,momentum (default adam)")
        p.add_argument(
            "--lr", default="0.001", help="learning rates: 1e-3,1e-2,1e-1, or LOW:HIGH:N for N on a log grid"
        )
        p.add_argument("--batch-size", default="32", help="batch sizes: 16,64,0 (0 = full batch; default 32)")
        p.add_argument("--l2", default="0", help="L2 strengths: 0,1e-3,1e-2 (default 0)")
    else:
        p.add_argument("--hidden", default="", help="hidden layer sizes, e.g. 16,16")
        p.add_argument("--optimizer", default="adam", choices=["adam", "sgd", "momentum"])
        p.add_argument("--lr", type=float, default=0.001, help="learning rate (default 0.001)")
        p.add_argument("--batch-size", type=int, default=32, help="0 = full batch (default 32)")
        p.add_argument("--l2", type=float, default=0.0)
    p.add_argument("--activation", default="relu", choices=["relu", "tanh", "sigmoid", "linear"])
    p.add_argument("--features", default="linear", choices=["linear", "poly2", "poly3", "sincos"])
    p.add_argument(
        "--epochs",
        type=int,
        default=DEFAULT_EPOCHS if sweep else None,
        help=f"epochs to train, or the cap with a tolerance (default {DEFAULT_EPOCHS}; "
        + ("with a tolerance, no cap)" if not sweep else "0 is not allowed in a sweep)"),
    )
    p.add_argument(
        "--until-converged",
        nargs="?",
        type=float,
        const=DEFAULT_TOL,
        metavar="TOL",
        help=f"stop when the training objective has not improved by more than TOL (default {DEFAULT_TOL:g}) "
        "times its best value for --n-iter-no-change epochs in a row; the report says "
        '"stopped_because": "converged"',
    )
    p.add_argument("--tol", type=float, default=None, help="the same as --until-converged TOL (default 0: off)")
    p.add_argument(
        "--n-iter-no-change",
        type=int,
        default=DEFAULT_N_ITER_NO_CHANGE,
        metavar="N",
        help=f"epochs without improvement before converged (default {DEFAULT_N_ITER_NO_CHANGE})",
    )
    p.add_argument("--l1", type=float, default=0.0)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--standardize", dest="standardize", action="store_true", default=True)
    g.add_argument("--no-standardize", dest="standardize", action="store_false")
    p.add_argument("--test-fraction", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--early-stopping", type=int, default=0, metavar="PATIENCE")
    p.add_argument(
        "--dtype",
        default="float64",
        choices=["float32", "float64"],
        help="arithmetic precision (default float64: exact numbers; float32 is faster)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per run, one a line" if sweep else "print the report as JSON on stdout",
    )


def _hidden_sizes(text: str) -> tuple:
    if text.strip().lower() == "none":
        return ()
    try:
        return tuple(int(h) for h in text.split(",") if h.strip())
    except ValueError:
        raise UsageError(f"--hidden takes sizes like 16,16, not {text!r}") from None


def run_fit(args) -> int:
    from engine.csv_io import read_csv
    from engine.data import DataError
    from engine.model_file import save_model
    from engine.report import fit_report
    from engine.runtime import limit_blas_threads
    from engine.serialize import save_session, session_to_dict
    from engine.training import Trainer

    limit_blas_threads(1)
    try:
        x_cols = [c.strip() for c in args.x_columns.split(",")] if args.x_columns else None
        dataset = read_csv(args.data, x_columns=x_cols, label_column=args.label_column)
        config = _train_config(args, model=args.model or ("mlp" if args.hidden else "auto"))
        trainer = Trainer(dataset, config)
    except (DataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"error: {args.data}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE

    started = time.perf_counter()
    result = trainer.fit()
    seconds = time.perf_counter() - started
    report = fit_report(trainer, result, seconds)

    try:
        if args.save_model:
            save_model(args.save_model, trainer.model, config)
        if args.save_script:
            from engine.script_export import save_script

            save_script(args.save_script, dataset, config, args.script_flavour)
        if args.save_session:
            save_session(
                args.save_session,
                session_to_dict(
                    dataset,
                    config,
                    model=trainer.model,
                    history=trainer.history,
                    training={
                        "epoch": trainer.epoch,
                        "stopped_because": result.stopped_because,
                        "best_epoch": result.best_epoch,
                    },
                ),
            )
        if args.png or args.loss_png:
            from lab_app.io.export import export_fit_pngs

            export_fit_pngs(trainer, boundary_png=args.png, loss_png=args.loss_png)
    except OSError as exc:
        print(f"error: cannot write {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except DataError as exc:  # the data CSV beside a script
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    if args.json:
        print(json.dumps(report, indent=2, allow_nan=False))
    else:
        print(format_report(report, trainer))
    if result.stopped_because == "diverged":
        print(
            f"error: training diverged at epoch {result.diverged_epoch}: the loss exploded. "
            "The learning rate is probably too high"
            + ("" if config.standardize else ", or the features need --standardize")
            + "; the last finite weights were kept.",
            file=sys.stderr,
        )
        return EXIT_DIVERGED
    return EXIT_OK


def parse_sweep_args(argv) -> argparse.Namespace:
    """``sweep``'s options: ``fit``'s, where the swept settings take lists (one value: the base)."""
    p = _Parser(
        prog="logit-lab sweep",
        description="Train a grid of runs over one or two settings (learning rate, batch size, L2, "
        "hidden layers, optimizer) without a window; every run uses the same seed.",
    )
    _add_fit_options(p, sweep=True)
    args = p.parse_args(argv)
    _convergence_args(args)
    if args.epochs <= 0:
        raise UsageError("--epochs must be a positive number")
    from engine.sweep import parse_values

    values = {}
    for name, text in (
        ("lr", args.lr),
        ("batch_size", args.batch_size),
        ("l2", args.l2),
        ("hidden", args.hidden),
        ("optimizer", args.optimizer),
    ):
        try:
            values[name] = parse_values(name, text)
        except ValueError as exc:
            raise UsageError(f"--{name.replace('_', '-')}: {exc}") from None
    args.axes = [(name, v) for name, v in values.items() if len(v) > 1]
    if not args.axes:
        raise UsageError(
            "nothing to sweep: give several values to one or two of --lr, --batch-size, --l2, --hidden, --optimizer"
        )
    if len(args.axes) > 2:
        raise UsageError(f"a sweep varies one or two settings, not {len(args.axes)}")
    args.base = {name: v[0] for name, v in values.items()}
    return args


def run_sweep(args) -> int:
    from engine.csv_io import read_csv
    from engine.data import DataError
    from engine.runtime import limit_blas_threads
    from engine.sweep import SWEEPABLE, SweepAxis, iter_sweep, sweep_grid

    limit_blas_threads(1)
    try:
        x_cols = [c.strip() for c in args.x_columns.split(",")] if args.x_columns else None
        dataset = read_csv(args.data, x_columns=x_cols, label_column=args.label_column)
        hidden_swept = any(name == "hidden" for name, _ in args.axes)
        model = args.model or ("mlp" if args.base["hidden"] and not hidden_swept else "auto")
        base = _train_config(args, model=model, **args.base)
        axes = [SweepAxis(name, values) for name, values in args.axes]
        for _index, _settings, config in sweep_grid(base, axes):
            config.validate(dataset.n_classes)
        if dataset.n_classes < 2:
            raise DataError("the data have only one class; training needs points of at least 2 classes")
        cells = iter_sweep(dataset, base, axes)
        first = next(cells)  # data errors (one class in the split) surface before anything is printed
    except (DataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"error: {args.data}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE

    diverged = []
    for cell in _chain(first, cells):
        line = {name: _plain(getattr(cell.config, name)) for name in SWEEPABLE}
        line["seed"] = cell.config.seed
        line.update(cell.report)
        if args.json:
            print(json.dumps(line, allow_nan=False), flush=True)
        else:
            print(_format_cell(line, [name for name, _ in args.axes]), flush=True)
        if cell.report["stopped_because"] == "diverged":
            diverged.append(", ".join(f"{k} {_plain(v)}" for k, v in cell.settings.items()))
    if diverged:
        print(
            f"error: {len(diverged)} run(s) diverged ({'; '.join(diverged)}): the loss exploded; "
            "the last finite weights were kept.",
            file=sys.stderr,
        )
        return EXIT_DIVERGED
    return EXIT_OK


def _train_config(args, **settings):
    """The TrainConfig of the shared options; ``settings`` supply model and, for a sweep, the base values."""
    from engine.training import TrainConfig

    values = {
        "hidden": args.hidden,
        "optimizer": args.optimizer,
        "lr": args.lr,
        "batch_size": args.batch_size,
        "l2": args.l2,
    }
    values.update(settings)
    return TrainConfig(
        activation=args.activation,
        features=args.features,
        standardize=args.standardize,
        epochs=args.epochs,
        l1=args.l1,
        test_fraction=args.test_fraction,
        seed=args.seed,
        early_stopping=args.early_stopping,
        dtype=args.dtype,
        tol=args.tol,
        n_iter_no_change=args.n_iter_no_change,
        **values,
    )


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def _chain(first, rest):
    yield first
    yield from rest


def _format_cell(line: dict, swept: list) -> str:
    def num(v, fmt=".4g"):
        return "—" if v is None else format(v, fmt)

    settings = "  ".join(f"{name} {_plain_text(line[name])}" for name in swept)
    return (
        f"{settings}   train loss {num(line['train_loss'])}  accuracy {num(line['train_accuracy'], '.1%')}"
        f"   test loss {num(line['test_loss'])}  accuracy {num(line['test_accuracy'], '.1%')}"
        f"   {line['epochs_run']} epochs ({line['stopped_because']})"
    )


def _plain_text(value) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value)) or "none"
    return format(value, "g") if isinstance(value, float) else str(value)


def format_report(report: dict, trainer) -> str:
    def num(v, fmt=".6g"):
        return "—" if v is None else format(v, fmt)

    lines = [
        f"model           {report['model']}  ({', '.join(report['features'])})",
        f"classes         {', '.join(map(str, report['classes']))}",
        f"samples         {report['n_train']} train, {report['n_test']} test",
        f"epochs          {report['epochs_run']} ({report['stopped_because']})",
        f"train loss      {num(report['train_loss'])}   accuracy {num(report['train_accuracy'], '.2%')}",
    ]
    if report["n_test"]:
        lines.append(f"test loss       {num(report['test_loss'])}   accuracy {num(report['test_accuracy'], '.2%')}")
    if trainer.model.is_linear:
        lines += trainer.model.equation(digits=8)
    lines.append(f"time            {report['seconds']:.3f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
