"""The simulated production service `warroom demo` runs against (see `target.py`)."""
