"""Contract suites run over every registered plug-in, as scikit-learn's ``parametrize_with_checks``.

A plug-in is covered by registering it: the test modules parametrise over the registries
(``tests/test_contracts.py``), and a third-party package can run the same checks on its own plug-ins::

    import pytest
    from seqd_builder.plugin_checks import model_checks

    @pytest.mark.parametrize("check", model_checks(MyModel), ids=lambda c: c.__name__)
    def test_my_model(check):
        check()

Each ``*_checks(obj)`` function returns zero-argument callables, one per property, named after it,
so that a failure names the property that broke. The properties are those the runner, the build and
the leaderboard rely on; each check's docstring says why it matters.
"""

from .adapters import adapter_checks
from .models import model_checks
from .upstreams import upstream_checks

__all__ = ["adapter_checks", "model_checks", "upstream_checks"]
