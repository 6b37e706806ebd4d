"""Settings of the benchmarks: the project's, plus Django's admin as a peer.

django.contrib.admin is not part of the project; the benchmarks that compare
kingadmin with it install it here only, its models registered by
``bench.peer_admin`` from the kingadmin registrations (see ``bench/urls.py``).
"""

from crm_project.settings import *  # noqa: F403
from crm_project.settings import INSTALLED_APPS as PROJECT_APPS

INSTALLED_APPS = ["django.contrib.admin", *PROJECT_APPS]
ROOT_URLCONF = "bench.urls"
