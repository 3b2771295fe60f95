"""The smallest Django project that serves django-survey-and-report, the peer bench/peer.py measures.

It runs in the peer's own virtual environment (made by bench/peer.py, never committed), never
in the project's: nothing here imports vocplatform.
"""
