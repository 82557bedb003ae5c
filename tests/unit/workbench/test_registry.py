"""The one registry: registration, lookups, the shared unknown-name error, scoped test registrations."""

from __future__ import annotations

import pytest

from workbench.errors import ConflictError, NotFoundError, UnknownNameError, ValidationError
from workbench.registry import Registry, one_of


def test_register_get_names_in_order():
    reg: Registry[int] = Registry("widget")
    reg.register("b", 2)

    @reg.register("a")
    def make_a():
        return 1

    assert reg.names() == ["b", "a"] and reg.get("a") is make_a and "b" in reg and len(reg) == 2
    with pytest.raises(ConflictError, match="already registered"):
        reg.register("b", 3)
    reg.register("b", 3, replace=True)
    assert reg["b"] == 3


def test_unknown_names_list_the_valid_ones_with_one_error_class():
    reg: Registry[int] = Registry("widget")
    reg.register("x", 1)
    with pytest.raises(UnknownNameError, match=r"^unknown widget 'y'; valid: x$") as info:
        reg.get("y")
    assert isinstance(info.value, ValidationError) and isinstance(info.value, NotFoundError)
    with pytest.raises(UnknownNameError, match=r"unknown task 'z'; valid: a, b"):
        one_of("z", ["a", "b"], "task")
    assert one_of("a", ["a", "b"], "task") == "a"


def test_scoped_registrations_are_undone():
    reg: Registry[int] = Registry("widget")
    reg.register("keep", 1)
    with reg.scoped():
        reg.register("temp", 2)
        assert "temp" in reg
    assert reg.names() == ["keep"]


def test_every_product_registry_is_a_registry():
    from services.active_learning import STRATEGIES
    from services.audit import AUDIT_MODELS
    from services.models import ADAPTERS
    from workbench.io import EXPORT_FORMATS, IMPORT_FORMATS
    from workbench.samples import DATASETS

    for reg in (STRATEGIES, AUDIT_MODELS, ADAPTERS, EXPORT_FORMATS, IMPORT_FORMATS, DATASETS):
        assert isinstance(reg, Registry) and len(reg) > 0
