"""The ``logit-lab`` command: open the window, or train without one (``fit``).

``fit`` never imports Qt unless a PNG is asked for, so it runs on servers and in CI.
Exit status: 0 success, 2 bad input or usage (one ``error:`` line), 3 training diverged.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

EXIT_OK, EXIT_USAGE, EXIT_DIVERGED = 0, 2, 3


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
        if argv and argv[0] == "open":
            if len(argv) != 2:
                raise UsageError("usage: logit-lab open FILE")
            return _run_gui(argv[1])
        if argv and argv[0] in ("-h", "--help"):
            print(
                __doc__.strip() + "\n\n  logit-lab                 open the lab window\n"
                "  logit-lab open FILE       open a session (.json) or a CSV\n"
                "  logit-lab fit DATA.csv    train without a window (logit-lab fit --help)"
            )
            return EXIT_OK
        if argv:
            raise UsageError(f"unknown command {argv[0]!r}; use fit, open, or no command")
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


def _run_gui(path):
    from lab_app.app import run

    return run(path)


def parse_fit_args(argv) -> argparse.Namespace:
    p = _Parser(prog="logit-lab fit", description="Train a classifier on a CSV file without a window.")
    p.add_argument("data", help="CSV file (header row; label column named label/class/target/y/species or last)")
    p.add_argument("--x", dest="x_columns", help="feature columns, comma-separated")
    p.add_argument("--label", dest="label_column", help="label column")
    p.add_argument("--model", choices=["logistic", "softmax", "mlp"])
    p.add_argument("--hidden", default="", help="hidden layer sizes, e.g. 16,16")
    p.add_argument("--activation", default="relu", choices=["relu", "tanh", "sigmoid", "linear"])
    p.add_argument("--features", default="linear", choices=["linear", "poly2", "poly3", "sincos"])
    p.add_argument("--optimizer", default="adam", choices=["adam", "sgd", "momentum"])
    p.add_argument("--lr", type=float, default=0.001, help="learning rate (default 0.001)")
    p.add_argument("--batch-size", type=int, default=32, help="0 = full batch (default 32)")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--l2", type=float, default=0.0)
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
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.add_argument("--save-model", metavar="PATH")
    p.add_argument("--save-session", metavar="PATH")
    p.add_argument("--png", metavar="PATH", help="save the decision-boundary view as PNG")
    p.add_argument("--loss-png", metavar="PATH", help="save the loss curves as PNG")
    args = p.parse_args(argv)
    if args.epochs <= 0:
        raise UsageError("--epochs must be a positive number")
    try:
        args.hidden = tuple(int(h) for h in args.hidden.split(",") if h.strip())
    except ValueError:
        raise UsageError(f"--hidden takes sizes like 16,16, not {args.hidden!r}") from None
    return args


def run_fit(args) -> int:
    from engine.csv_io import read_csv
    from engine.data import DataError
    from engine.model_file import save_model
    from engine.report import fit_report
    from engine.runtime import limit_blas_threads
    from engine.serialize import save_session, session_to_dict
    from engine.training import TrainConfig, Trainer

    limit_blas_threads(1)
    try:
        x_cols = [c.strip() for c in args.x_columns.split(",")] if args.x_columns else None
        dataset = read_csv(args.data, x_columns=x_cols, label_column=args.label_column)
        model = args.model or ("mlp" if args.hidden else "auto")
        config = TrainConfig(
            model=model,
            hidden=args.hidden,
            activation=args.activation,
            features=args.features,
            standardize=args.standardize,
            optimizer=args.optimizer,
            lr=args.lr,
            batch_size=args.batch_size,
            epochs=args.epochs,
            l1=args.l1,
            l2=args.l2,
            test_fraction=args.test_fraction,
            seed=args.seed,
            early_stopping=args.early_stopping,
            dtype=args.dtype,
        )
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
