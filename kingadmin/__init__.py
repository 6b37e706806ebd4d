"""kingadmin: the project's generic admin and permission engine.

Usage in an app's ``kingadmin.py``::

    import kingadmin

    @kingadmin.register(Customer)
    class CustomerAdmin(kingadmin.ModelAdmin):
        list_display = ("name", "qq", "consultant")
"""

__version__ = "0.1.0"

from kingadmin.sites import AdminSite, AlreadyRegistered, NotRegistered, register, site

__all__ = [
    "AdminSite",
    "AlreadyRegistered",
    "ModelAdmin",
    "NotRegistered",
    "ReadOnlyModelAdmin",
    "SimpleListFilter",
    "action",
    "display",
    "register",
    "site",
]


def __getattr__(name):
    # Options import models, so they load lazily (after the app registry).
    if name in {"ModelAdmin", "ReadOnlyModelAdmin", "action", "display"}:
        from kingadmin import options

        return getattr(options, name)
    if name == "SimpleListFilter":
        from kingadmin.filters import SimpleListFilter

        return SimpleListFilter
    raise AttributeError(name)
