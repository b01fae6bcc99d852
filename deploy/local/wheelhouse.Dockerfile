# The wheels of the project's dependencies (WHEELHOUSE_IMAGE of deploy/*.Dockerfile), built on
# the host with `pip wheel` because TLS to PyPI from inside a build is intercepted here.
# Context: the wheel directory. Only mounted during builds; never run.
FROM scratch
COPY . /wheels/
