"""contactsim: a discrete-event contact-center simulator.

Importing the package first decides how its hot modules run (see :mod:`sim.native`): compiled with
mypyc when a build matching the sources is present, plain Python otherwise.
"""

from sim import native as native  # noqa: F401  (must run before any other sim module is imported)
