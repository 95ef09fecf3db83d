"""The benchmark: tasks, protocols applied to built datasets, reference models, training and results.

Entry point::

    from seqd_builder.benchmark import run_task
    results = run_task("emodb", "speecheq", "./emodb-hf", upstream="fbank", out="results.json")

Modules: ``tasks`` (task files), ``data`` (rows, targets, folds, batches), ``frontend`` (the upstream
contract), ``upstreams`` (its implementations), ``augment``, ``models`` (registry: baseline, speecheq,
emosphere), ``train`` (one fold with accelerate), ``metrics``, ``results`` (results.json), ``runner``.
"""


def __getattr__(name):
    # torch, accelerate and datasets load on first use, so `seqd bench list` stays fast
    if name == "run_task":
        from .runner import run_task
        return run_task
    raise AttributeError(name)
