"""Log files and commands followed like `tail -F`, and their filter."""
