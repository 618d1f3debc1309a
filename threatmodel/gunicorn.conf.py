"""Gunicorn settings for the web service of docker-compose.yml; the environment can change each of them."""

import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


bind = f"0.0.0.0:{_env_int('PORT', 8000)}"
# Two processes per usable core and one more: Django views mostly wait on PostgreSQL.
workers = _env_int("WEB_CONCURRENCY", 2 * len(os.sched_getaffinity(0)) + 1)
timeout = _env_int("WEB_TIMEOUT", 30)
graceful_timeout = timeout
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound; jitter keeps them from all restarting
# at once.
max_requests = 1000
max_requests_jitter = 100
# Worker heartbeats go to memory: a container's overlay filesystem can stall them long enough to kill a worker.
# Gunicorn makes its file there with mkstemp and unlinks it at once, so a shared directory is safe.
_MEMORY_FILESYSTEM = "/dev/shm"  # noqa: S108
worker_tmp_dir = _MEMORY_FILESYSTEM if os.path.isdir(_MEMORY_FILESYSTEM) else None
accesslog = "-"
errorlog = "-"
# Control is by signals from the container runtime; a control socket would need a writable home directory.
control_socket_disable = True
