#!/bin/sh
# Creates (or reuses) the project-local Python environment the interop tests
# run in: python_venv.sh VENV_DIR MODULE[=PIP_SPEC] ...
# e.g. python_venv.sh build/venv safetensors
#
# Debian's python3 (/usr/bin/python3) with --system-site-packages, so the
# Debian numpy and torch stay importable; PyPI packages go into the venv only
# when an import fails, which keeps a rerun quick and offline.
set -u
venv=${1:?usage: python_venv.sh VENV_DIR MODULE[=PIP_SPEC] ...}
shift
python=/usr/bin/python3

# A venv left by an older or removed interpreter is rebuilt.
if [ -x "$venv/bin/python" ] && ! "$venv/bin/python" -c '' 2>/dev/null; then
  echo "python_venv: $venv is broken (was its Python upgraded?); recreating it"
  rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -m venv --system-site-packages "$venv"; then
    echo "python_venv: '$python -m venv' failed; install Debian's python3-venv (apt-get install python3-venv)" >&2
    exit 1
  fi
  echo "python_venv: created $venv"
fi

status=0
for want in "$@"; do
  module=${want%%=*}
  spec=${want#*=}
  if "$venv/bin/python" -c "import $module" 2>/dev/null; then
    echo "python_venv: $module present: $("$venv/bin/python" -c "import $module as m; print(getattr(m, '__version__', '?'), m.__file__)")"
    continue
  fi
  echo "python_venv: installing $spec from PyPI into $venv"
  if ! "$venv/bin/python" -m pip install --disable-pip-version-check --quiet "$spec"; then
    echo "python_venv: 'pip install $spec' failed. The interop tests need Python's $module package from PyPI" \
         "(https://pypi.org/project/$spec/): make PyPI reachable (or set PIP_INDEX_URL to a mirror), then rerun" >&2
    status=1
    continue
  fi
  if ! "$venv/bin/python" -c "import $module" 2>/dev/null; then
    echo "python_venv: $spec installed but 'import $module' still fails" >&2
    status=1
  fi
done
exit $status
