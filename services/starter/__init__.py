"""`warroom init`'s engine: look at what it is pointed at and write a commented config."""
