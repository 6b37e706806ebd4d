"""kingadmin's own tests, on the toy project of ``kingadmin.tests.toy``.

Run them with Django alone::

    export DJANGO_SETTINGS_MODULE=kingadmin.tests.settings
    python -m django test kingadmin.tests
"""
