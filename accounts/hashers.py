"""The password hasher: Argon2id at OWASP's recommended minimum.

Django's own Argon2 parameters (100 MiB, 2 passes, 8 lanes) cost about
260 ms of CPU per login here, and PBKDF2 at Django 5.2's 1,000,000 rounds
about 420 ms: two cores would serve a handful of logins a second, an
availability risk that brute force only has to trigger. OWASP's Password
Storage Cheat Sheet lists Argon2id with 19 MiB of memory, 2 passes and one
lane as its first recommendation, equal in defence to PBKDF2-HMAC-SHA256 at
600,000 rounds and, being memory-hard, far costlier to attack on GPUs: about
35 ms of CPU per login. Hashes made with other parameters or other hashers
(PBKDF2 of earlier installs) are rehashed with these at the user's next
login (Django's ``must_update``).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id with 19 MiB of memory, 2 passes, 1 lane (OWASP's minimum)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
